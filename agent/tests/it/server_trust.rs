//! The agent believes only what it checked of the workshop server (issues 20 and 21): its
//! answers are signed with a key the agent pins — from `reprise.server-key=`, else at the first
//! answer on the data folder, else for this boot only — and carry the nonce of the hello they
//! answer; a TCP connection, an HTTP 200, a replayed or re-signed answer are not answers.
//! Automatic mode's durable home is a server that knows this station's key (or enrolled it now
//! with the PXE token), asked again after a resume before anything is written; the
//! certificate is dated by the server's time. Against a stand-in server (`support::workshop`).

use std::net::TcpListener;

use ed25519_dalek::SigningKey;
use reprise::cert::exchange::StationStatus;
use reprise::flow::config::{self, Given, RunFlags, Server};
use reprise::flow::run::{Hooks, Run};
use reprise::flow::trust::{self, NoServer, Pinned};
use reprise::flow::{DataDir, RunError};
use reprise::model::{Language, Level};
use reprise::wipe::CancelToken;

use crate::support::tree::{self, Tree};
use crate::support::workshop::{self, Workshop};

/// The stand-in's clock: years ahead of any laptop running these tests.
const SERVER_TIME: &str = "2031-03-01T12:00:00.000Z";

fn station() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn server(w: &Workshop) -> Server {
    Server {
        url: w.url(),
        enroll: None,
        key: None,
    }
}

fn hellos(w: &Workshop) -> usize {
    w.paths().iter().filter(|p| *p == "/api/v1/hello").count()
}

#[test]
fn the_first_answer_pins_the_servers_key_and_another_key_is_refused_later() {
    let w = Workshop::start(SERVER_TIME);
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    let met = trust::meet(&server(&w), &station(), &data, true, None).unwrap();
    let id = workshop::key_id(&workshop::server_key());
    assert_eq!(met.server_key_id, id);
    assert_eq!(met.pinned, Pinned::FirstOnStick);
    assert_eq!(met.station, StationStatus::Enrolled);
    assert_eq!(met.server_time, SERVER_TIME);
    // The laptop's clock is years behind the stand-in's: the offset says by how much.
    let expected = (time::OffsetDateTime::now_utc()
        - reprise::flow::time::parse(SERVER_TIME).unwrap())
    .whole_milliseconds() as i64;
    assert!(
        (met.rtc_offset_ms - expected).abs() < 60_000,
        "{} vs {expected}",
        met.rtc_offset_ms
    );
    // Said in the run's log, with what to compare it with.
    let log = met.lines().join("\n");
    assert!(
        log.contains(&format!("signed by {id}, now pinned on the stick"))
            && log.contains("trust on first use")
            && log.contains("reprise-collector server-key"),
        "{log}"
    );
    let pin = std::fs::read_to_string(trust::pin_file(&data)).unwrap();
    assert!(pin.starts_with(&format!("{id}\n")), "{pin}");

    // The next run believes it as pinned.
    let met = trust::meet(&server(&w), &station(), &data, true, None).unwrap();
    assert_eq!(met.pinned, Pinned::Stick);

    // The server's key changed (another machine took its address): refused, the pin kept.
    let other = SigningKey::from_bytes(&[43u8; 32]);
    w.set(|b| b.key = other.clone());
    let e = trust::meet(&server(&w), &station(), &data, true, None).unwrap_err();
    assert_eq!(
        e,
        NoServer::OtherKey {
            pinned: id.clone(),
            found: workshop::key_id(&other),
            from: Pinned::Stick,
        }
    );
    assert!(e.to_string().contains("answer refused"), "{e}");
    assert_eq!(
        std::fs::read_to_string(trust::pin_file(&data)).unwrap(),
        pin
    );
}

#[test]
fn the_setting_pins_the_key_and_nothing_is_written() {
    let w = Workshop::start(SERVER_TIME);
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    let mut s = server(&w);
    s.key = Some(workshop::key_id(&SigningKey::from_bytes(&[1u8; 32])));
    let e = trust::meet(&s, &station(), &data, true, None).unwrap_err();
    assert!(
        matches!(
            &e,
            NoServer::OtherKey {
                from: Pinned::Setting,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("(reprise.server-key)"), "{e}");
    s.key = Some(workshop::key_id(&workshop::server_key()));
    let met = trust::meet(&s, &station(), &data, true, None).unwrap();
    assert_eq!(met.pinned, Pinned::Setting);
    assert!(!trust::pin_file(&data).exists());
}

#[test]
fn with_no_stick_the_first_key_holds_for_this_boot_only() {
    let w = Workshop::start(SERVER_TIME);
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    let met = trust::meet(&server(&w), &station(), &data, false, None).unwrap();
    assert_eq!(met.pinned, Pinned::FirstForBoot { not_kept: None });
    assert!(
        met.lines()[0].contains("believed for this boot only"),
        "{:?}",
        met.lines()
    );
    assert!(!trust::pin_file(&data).exists());
    // Later in the same boot (after a resume, at signing): the first key, and only it.
    let first = met.server_key_id;
    let again = trust::meet(&server(&w), &station(), &data, false, Some(&first)).unwrap();
    assert_eq!(again.pinned, Pinned::Boot);
    w.set(|b| b.key = SigningKey::from_bytes(&[44u8; 32]));
    let e = trust::meet(&server(&w), &station(), &data, false, Some(&first)).unwrap_err();
    assert!(
        matches!(
            e,
            NoServer::OtherKey {
                from: Pinned::Boot,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn a_connection_a_bare_200_a_replayed_or_altered_answer_is_not_an_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    let silent = |url: String| Server {
        url,
        enroll: None,
        key: None,
    };

    // Something listens and says "200" to anything: what a TCP connect used to accept.
    let bare = Workshop::start(SERVER_TIME);
    bare.set(|b| b.status = Some(200));
    let e = trust::meet(&server(&bare), &station(), &data, true, None).unwrap_err();
    assert!(matches!(e, NoServer::Unverified(_)), "{e:?}");

    // Nobody listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = trust::meet(&silent(url), &station(), &data, true, None).unwrap_err();
    assert!(matches!(e, NoServer::Silent(_)), "{e:?}");

    // A server without the exchange (an old collector): refused, not believed.
    let w = Workshop::start(SERVER_TIME);
    w.set(|b| b.status = Some(404));
    let e = trust::meet(&server(&w), &station(), &data, true, None).unwrap_err();
    assert!(matches!(e, NoServer::Refused(_)), "{e:?}");

    // A genuine answer, captured and replayed to the next hello: another nonce.
    w.set(|b| b.status = None);
    trust::meet(&server(&w), &station(), &data, false, None).unwrap();
    let captured = w.answers.lock().unwrap()[0].clone();
    w.set(|b| b.replay = Some(captured.clone()));
    let e = trust::meet(&server(&w), &station(), &data, false, None).unwrap_err();
    assert!(
        matches!(&e, NoServer::Unverified(why) if why.contains("nonce")),
        "{e:?}"
    );
    // Its time changed on the way: the signature no longer holds.
    let mut v: serde_json::Value = serde_json::from_slice(&captured).unwrap();
    v["message"]["server_time"] = "2040-01-01T00:00:00.000Z".into();
    w.set(|b| b.replay = Some(serde_json::to_vec(&v).unwrap()));
    let e = trust::meet(&server(&w), &station(), &data, false, None).unwrap_err();
    assert!(
        matches!(&e, NoServer::Unverified(why) if why.contains("signature")),
        "{e:?}"
    );
    // Nothing of all that was pinned.
    assert!(!trust::pin_file(&data).exists());
}

#[test]
fn a_damaged_pin_stops_everything_before_a_byte_goes_out() {
    let w = Workshop::start(SERVER_TIME);
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir(dir.path().to_owned());
    std::fs::create_dir_all(data.keys()).unwrap();
    std::fs::write(trust::pin_file(&data), "sha256:nothex\n").unwrap();
    let e = trust::meet(&server(&w), &station(), &data, true, None).unwrap_err();
    assert!(matches!(e, NoServer::BadPin { .. }), "{e:?}");
    assert!(e.to_string().contains("server-key"), "{e}");
    assert_eq!(hellos(&w), 0);
}

/// An automatic run over a recorded SATA laptop (no stick: the data folder is not a boot
/// medium's) whose server is `url`, with `token` as its PXE enrolment token.
fn automatic_run(t: &Tree, dir: &std::path::Path, url: &str, token: Option<&str>) -> Run {
    let given = Given {
        auto: Some(Level::Clear),
        language: Some(Language::En),
        server: Some(url.to_owned()),
        enroll: token.map(str::to_owned),
        ..Given::default()
    };
    let config = config::resolve(
        given,
        Given::default(),
        RunFlags::new(t.root(), DataDir(dir.join("data"))),
        None,
    );
    Run::prepare(config).unwrap()
}

#[test]
fn automatic_mode_s_home_is_a_server_that_knows_the_station_not_a_connection() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();

    // A listener that answers anything with 200: no home.
    let bare = Workshop::start(SERVER_TIME);
    bare.set(|b| b.status = Some(200));
    let url = bare.url();
    let mut run = automatic_run(&t, dir.path(), &url, None);
    let why = run.ready().unwrap_err();
    assert!(
        why.to_string().contains(&format!(
            "the workshop server {url} gave an answer that does not verify"
        )),
        "{why}"
    );

    // A real server that does not know this station: no home either, and it says what to do.
    let w = Workshop::start(SERVER_TIME);
    w.set(|b| b.station = StationStatus::Unknown);
    let mut run = automatic_run(&t, dir.path(), &w.url(), None);
    let why = run.ready().unwrap_err();
    let key_id = run.station().unwrap().key_id;
    assert!(
        why.to_string().contains(&format!(
            "does not know this station's key {key_id} (enrol it: reprise-collector enroll)"
        )),
        "{why}"
    );
    assert!(
        why.words(Language::Fr)
            .contains("ne connaît pas la clé de ce poste"),
        "{}",
        why.words(Language::Fr)
    );
    // Revoked: no home.
    w.set(|b| b.station = StationStatus::Revoked);
    assert!(
        run.ready()
            .unwrap_err()
            .to_string()
            .contains("has revoked this station's key")
    );
    // A front-end that went on regardless: the run writes nothing.
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let e = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap_err();
    assert!(matches!(e, RunError::NotReady(_)), "{e:?}");
    // Nor one that never asked.
    let fresh = automatic_run(&t, dir.path(), &w.url(), None);
    let (tx, _rx) = std::sync::mpsc::channel();
    let e = fresh
        .execute(&station, &fresh.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap_err();
    assert!(
        matches!(&e, RunError::NotReady(n) if n.to_string().contains("was not asked yet")),
        "{e:?}"
    );
    assert!(!dir.path().join("data/certs").exists());
    // With the PXE token of its boot script, the hello enrols it: a home.
    w.set(|b| b.station = StationStatus::Unknown);
    let mut run = automatic_run(&t, dir.path(), &w.url(), Some("t0ken"));
    run.ready().unwrap();
    let hello = w.received.lock().unwrap().last().unwrap().body.clone();
    let hello: serde_json::Value = serde_json::from_slice(&hello).unwrap();
    assert_eq!(hello["message"]["enroll_token"], "t0ken");
    assert!(matches!(
        &run.met,
        Some(Ok(m)) if m.station == StationStatus::EnrolledNow
    ));
}

#[test]
fn after_a_resume_the_server_is_asked_again_and_nothing_is_written_on_the_old_answer() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let w = Workshop::start(SERVER_TIME);
    let mut run = automatic_run(&t, dir.path(), &w.url(), None);
    run.ready().unwrap();
    assert_eq!(hellos(&w), 1);
    // While the machine slept, the station was revoked on the server.
    w.set(|b| b.station = StationStatus::Revoked);
    let inspection = run.inspection.clone();
    let why = run.resumed(inspection).unwrap_err();
    assert_eq!(hellos(&w), 2, "the server is asked again after the resume");
    assert!(
        why.to_string().contains("has revoked this station's key"),
        "{why}"
    );
    assert!(run.readiness().is_err());
    // Whatever the front-end does next, the run writes nothing.
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let e = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap_err();
    assert!(matches!(e, RunError::NotReady(_)), "{e:?}");
    assert!(!dir.path().join("data/certs").exists());
    assert!(!dir.path().join("data/logs").exists());
}

#[test]
fn the_certificate_is_dated_by_the_servers_verified_answer() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let w = Workshop::start(SERVER_TIME);
    let mut run = automatic_run(&t, dir.path(), &w.url(), None);
    run.ready().unwrap();
    // A resume that finds the server as it was: the run goes on.
    let inspection = run.inspection.clone();
    run.resumed(inspection).unwrap();
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let e = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap();
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&e.certificate).unwrap()).unwrap();
    let c = &c["certificate"];
    assert_eq!(c["time"]["source"], "server", "{}", c["time"]);
    assert!(
        c["issued_at"]
            .as_str()
            .unwrap()
            .starts_with("2031-03-01T12:0"),
        "{}",
        c["issued_at"]
    );
    assert!(c["time"]["rtc_offset_ms"].as_i64().unwrap() < 0);
    assert!(
        e.said.iter().any(|l| l.contains("the workshop server's")),
        "{:?}",
        e.said
    );
}

#[test]
fn a_server_time_earlier_than_the_last_certificate_is_refused_and_said() {
    let t = Tree::new();
    tree::sata_laptop(&t);
    let dir = tempfile::tempdir().unwrap();
    let w = Workshop::start(SERVER_TIME);
    let mut run = automatic_run(&t, dir.path(), &w.url(), None);
    run.ready().unwrap();
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let first = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap();
    // The server's clock went back to 2027: the station's previous certificate is from 2031.
    w.set(|b| b.time = "2027-01-01T00:00:00.000Z".into());
    let mut run = automatic_run(&t, dir.path(), &w.url(), None);
    run.ready().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let second = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap();
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let (a, b) = (read(&first.certificate), read(&second.certificate));
    let (a, b) = (&a["certificate"], &b["certificate"]);
    assert_eq!(b["time"]["source"], "rtc", "{}", b["time"]);
    assert_eq!(b["time"]["corrected_to"], "previous_certificate");
    assert_eq!(b["issued_at"], a["issued_at"]);
    assert!(
        second.said.iter().any(|l| l.contains("says 2027-01-01")
            && l.contains("earlier than the station's previous certificate")),
        "{:?}",
        second.said
    );
}

/// An interactive run over the recorded laptop, with `server` (and its pinned key) if any.
fn interactive_run(t: &Tree, dir: &std::path::Path, server: Option<(&str, Option<String>)>) -> Run {
    let given = Given {
        language: Some(Language::En),
        server: server.as_ref().map(|(u, _)| (*u).to_owned()),
        server_key: server.and_then(|(_, k)| k),
        ..Given::default()
    };
    let config = config::resolve(
        given,
        Given::default(),
        RunFlags::new(t.root(), DataDir(dir.join("data"))),
        None,
    );
    Run::prepare(config).unwrap()
}

fn certificate_time(run: &Run) -> (serde_json::Value, Vec<String>) {
    let station = run.station().unwrap();
    let (tx, _rx) = std::sync::mpsc::channel();
    let e = run
        .execute(&station, &run.plan, Hooks::plain(tx, CancelToken::new()))
        .unwrap();
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&e.certificate).unwrap()).unwrap();
    (c["certificate"].clone(), e.said)
}

/// The time servers of the DHCP lease date the certificate only when the workshop server gave
/// no verified answer: NTP is unauthenticated.
#[test]
fn ntp_dates_the_certificate_only_without_a_verified_server_answer() {
    use crate::support::workshop::TimeServer;
    // 2031-05-05T00:00:00Z.
    let ntp = TimeServer::start(1_935_705_600_000);
    let t = Tree::new();
    tree::sata_laptop(&t);
    t.file("run/reprise/ntp-servers", format!("{}\n", ntp.addr));
    let dir = tempfile::tempdir().unwrap();

    // No workshop server: the time server's time.
    let (c, said) = certificate_time(&interactive_run(&t, dir.path(), None));
    assert_eq!(c["time"]["source"], "ntp", "{}", c["time"]);
    assert!(
        c["issued_at"]
            .as_str()
            .unwrap()
            .starts_with("2031-05-05T00:0"),
        "{}",
        c["issued_at"]
    );
    assert!(said.iter().any(|l| l.contains("(NTP)")), "{said:?}");
    assert_eq!(ntp.queries(), 1);

    // A verified answer of the workshop server (asked at signing in an interactive run): its
    // time, and the time server is not asked.
    let w = Workshop::start(SERVER_TIME);
    let other = tempfile::tempdir().unwrap();
    let (c, _) = certificate_time(&interactive_run(&t, other.path(), Some((&w.url(), None))));
    assert_eq!(c["time"]["source"], "server", "{}", c["time"]);
    assert!(
        c["issued_at"]
            .as_str()
            .unwrap()
            .starts_with("2031-03-01T12:0")
    );
    assert_eq!(ntp.queries(), 1, "NTP asked despite a verified answer");

    // An answer signed by another key than the pinned one is no verified answer: NTP again.
    let third = tempfile::tempdir().unwrap();
    let pinned = workshop::key_id(&SigningKey::from_bytes(&[9u8; 32]));
    let (c, said) = certificate_time(&interactive_run(
        &t,
        third.path(),
        Some((&w.url(), Some(pinned))),
    ));
    assert_eq!(c["time"]["source"], "ntp", "{}", c["time"]);
    assert!(
        said.iter().any(|l| l.contains("answer refused")),
        "{said:?}"
    );
    assert_eq!(ntp.queries(), 2);
}
