//! A Purge request that could only be met by Clear is recorded as such: the certificate says
//! "purge requested, clear performed" and never claims Purge.

use reprise::cert::build::build_certificate;
use reprise::cert::model::{ChainLink, Language};
use reprise::cert::render;
use reprise::model::Level;

use crate::support::certs;

fn link() -> ChainLink {
    ChainLink {
        station_key_id: "sha256:00".into(),
        sequence: 1,
        previous_digest: None,
    }
}

#[test]
fn purge_requested_clear_performed_is_stated() {
    let mut inputs = certs::inputs("wipe-passed.json", Language::En, "2026-11-26T10:00:00.000Z");
    inputs.wipe.requested_level = Some(Level::Purge);
    let cert = build_certificate(
        &inputs,
        "2026-11-26T10:00:00.000Z".into(),
        link(),
        "t".into(),
    );
    assert!(!cert.sanitization.is_empty());
    for d in &cert.sanitization {
        assert_eq!(d.level, Level::Clear, "never claims Purge");
        assert_eq!(d.requested_level, Some(Level::Purge));
    }
    let text = render::text(&cert, "sha256:00");
    assert!(
        text.contains("PURGE requested, not performed: CLEAR performed"),
        "{text}"
    );
}

#[test]
fn no_requested_level_when_clear_was_asked() {
    let mut inputs = certs::inputs("wipe-passed.json", Language::Fr, "2026-11-26T10:00:00.000Z");
    inputs.wipe.requested_level = Some(Level::Clear);
    let cert = build_certificate(
        &inputs,
        "2026-11-26T10:00:00.000Z".into(),
        link(),
        "t".into(),
    );
    assert!(
        cert.sanitization
            .iter()
            .all(|d| d.requested_level.is_none())
    );
    let text = render::text(&cert, "sha256:00");
    assert!(!text.contains("PURGE"), "{text}");
}
