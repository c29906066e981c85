//! The priced plan over the fixtures (a ThinkPad T480: battery BAT0 at 41 %, 4 GiB with a free
//! slot, a 256 GB NVMe disk): each repair's parts and labour, the total against the budget (a
//! repair equal to the budget fits, one cent more recycles), the issue's sentence, reasons that
//! recycle anyway outranking the budget, and repairs the list cannot price.

use reprise::cert::model::{ChecksRecord, MemoryCheck, ScreenCheck};
use reprise::model::{Field, Language};
use reprise::verdict::messages;
use reprise::verdict::{
    Action, Decision, Grade, Policy, Reason, Verdict, evaluate, evaluate_with_checks,
};

use crate::support::certs;

const GIB: u64 = 1 << 30;

fn default_verdict() -> Verdict {
    evaluate(
        &certs::probe(),
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &Policy::default(),
    )
}

fn with_budget(cents: u64) -> Policy {
    let mut p = Policy::default();
    p.budget.repair_cents = cents;
    p
}

/// The priced actions' messages, as the certificate writes them.
fn said(v: &Verdict, lang: Language) -> Vec<String> {
    v.priced_actions()
        .map(|(a, c)| messages::priced_action(a, c, lang))
        .collect()
}

#[test]
fn each_repair_costs_its_part_and_its_labour() {
    let v = default_verdict();
    let p = v
        .pricing
        .as_ref()
        .expect("the default policy prices the plan");
    // RAM: a 4 GiB module 15.00 € + 10 min at 30 €/h (5.00 €); battery: 45.00 € + 15 min
    // (7.50 €).
    assert_eq!(p.action_cents, [Some(2_000), Some(5_250)], "{v:?}");
    assert_eq!((p.repair_cost_cents, p.budget_cents), (7_250, 18_000));
    assert!(
        p.budget_basis.contains("décret du 7 novembre 2022"),
        "{p:?}"
    );
    assert_eq!((v.decision, v.grade), (Decision::Refurbish, Grade::C));
    assert_eq!(
        said(&v, Language::En),
        [
            "add RAM: one 4 GiB DDR4 SODIMM module in a free slot (4 GiB installed, 1 free slot(s)) — 20 €",
            "replace battery BAT0 (41 %) — 52.50 €"
        ]
    );
    assert_eq!(
        said(&v, Language::Fr)[1],
        "remplacer la batterie BAT0 (41 %) — 52,50 €"
    );
    assert_eq!(
        messages::repair_total(p.repair_cost_cents, p.budget_cents, Language::Fr),
        "réparations 72,50 €, budget 180 €"
    );
}

#[test]
fn a_repair_equal_to_the_budget_fits_and_one_cent_more_recycles() {
    let (probe, wipe, health) = (
        certs::probe(),
        certs::wipe("wipe-passed.json"),
        certs::good_health(),
    );
    let fits = evaluate(&probe, &wipe, &health, &with_budget(7_250));
    assert_eq!(fits.decision, Decision::Refurbish, "{fits:?}");
    assert!(
        !fits
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::RepairOverBudget { .. }))
    );

    let over = evaluate(&probe, &wipe, &health, &with_budget(7_249));
    assert_eq!((over.decision, over.grade), (Decision::Recycle, Grade::C));
    assert_eq!(
        over.reasons.last(),
        Some(&Reason::RepairOverBudget {
            repair_cost_cents: 7_250,
            budget_cents: 7_249
        })
    );
    // The plan stays on the record with its prices; recycling itself costs nothing here.
    assert_eq!(over.actions.last(), Some(&Action::Recycle));
    let p = over.pricing.as_ref().unwrap();
    assert_eq!(p.action_cents, [Some(2_000), Some(5_250), None]);
    assert_eq!(
        messages::reason(over.reasons.last().unwrap(), Language::En),
        "repair 72.50 € over the 72.49 € budget"
    );
    // A budget the workshop set without naming it is named as the workshop's.
    assert_eq!(p.budget_basis, "budget de réparation fixé par l'atelier");
}

#[test]
fn the_issue_example_reads_as_written() {
    let mut probe = certs::probe();
    probe.memory.modules[0].size_bytes = Field::Known(8 * GIB);
    let mut policy = Policy::default();
    // 204.50 € for the battery + 15 min at 30 €/h = 212 €.
    policy.prices.battery_cents = 20_450;
    let v = evaluate(
        &probe,
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &policy,
    );
    assert_eq!(v.decision, Decision::Recycle, "{v:?}");
    let r = v.reasons.last().unwrap();
    assert_eq!(
        messages::reason(r, Language::En),
        "repair 212 € over the 180 € budget"
    );
    assert_eq!(
        messages::reason(r, Language::Fr),
        "réparation de 212 €, au-delà du budget de 180 €"
    );
}

#[test]
fn reasons_that_recycle_anyway_outrank_the_budget() {
    let mut probe = certs::probe();
    probe.cpu.physical_cores = Field::Known(1);
    let mut policy = Policy::default();
    policy.prices.battery_cents = 50_000;
    let v = evaluate(
        &probe,
        &certs::wipe("wipe-passed.json"),
        &certs::good_health(),
        &policy,
    );
    assert_eq!(v.decision, Decision::Recycle);
    assert!(matches!(v.reasons[0], Reason::TooFewCores { cores: 1, .. }));
    assert!(
        !v.reasons
            .iter()
            .any(|r| matches!(r, Reason::RepairOverBudget { .. })),
        "{v:?}"
    );
    // The plan is still priced: the workshop sees what it would have cost.
    assert_eq!(v.pricing.unwrap().repair_cost_cents, 2_000 + 50_750);
}

fn screen_failed() -> ChecksRecord {
    ChecksRecord {
        screen: Some(ScreenCheck {
            colours: vec!["white".into()],
            passed: false,
            defect_on: Some("white".into()),
        }),
        ..ChecksRecord::default()
    }
}

#[test]
fn a_repair_without_a_price_says_so_and_stays_out_of_the_total() {
    let (probe, wipe, health) = (
        certs::probe(),
        certs::wipe("wipe-passed.json"),
        certs::good_health(),
    );
    let v = evaluate_with_checks(&probe, &wipe, &health, &screen_failed(), &Policy::default());
    let (screen, cost) = v
        .priced_actions()
        .find(|(a, _)| **a == Action::ReplaceScreen)
        .unwrap();
    assert_eq!(cost, None);
    assert_eq!(
        messages::priced_action(screen, cost, Language::En),
        "replace the screen — not priced"
    );
    assert_eq!(
        messages::priced_action(screen, cost, Language::Fr),
        "remplacer l'écran — non chiffré"
    );
    assert_eq!(v.pricing.as_ref().unwrap().repair_cost_cents, 7_250);

    // Once the workshop prices screens: the panel and 45 minutes.
    let mut policy = Policy::default();
    policy.prices.screen_cents = Some(6_000);
    let v = evaluate_with_checks(&probe, &wipe, &health, &screen_failed(), &policy);
    assert_eq!(v.pricing.unwrap().repair_cost_cents, 7_250 + 6_000 + 2_250);
}

#[test]
fn disks_are_priced_by_size_and_duties_are_not_repairs() {
    // SMART says failing: the 256.06 GB disk is replaced by a 256 GB SSD (30.00 €) in 30 min.
    let mut health = certs::good_health();
    for h in health.values_mut() {
        h.smart_passed = Some(false);
    }
    let mut probe = certs::probe();
    probe.power.batteries.remove(0);
    probe.memory.modules[0].size_bytes = Field::Known(8 * GIB);
    let v = evaluate(
        &probe,
        &certs::wipe("wipe-passed.json"),
        &health,
        &Policy::default(),
    );
    let p = v.pricing.as_ref().unwrap();
    assert!(
        matches!(v.actions[..], [Action::ReplaceDisk { .. }]),
        "{v:?}"
    );
    assert_eq!(p.action_cents, [Some(4_500)]);

    // A failed wipe: the disk is destroyed (owed whichever pile: no cost, no "not priced")
    // and a new 256 GB disk fitted.
    let v = evaluate(
        &probe,
        &certs::wipe("wipe-failed.json"),
        &certs::good_health(),
        &Policy::default(),
    );
    let costs: Vec<(String, Option<u64>)> = v
        .priced_actions()
        .map(|(a, c)| (messages::priced_action(a, c, Language::En), c))
        .collect();
    assert!(
        costs.contains(&("fit a new disk — 45 €".into(), Some(4_500))),
        "{costs:?}"
    );
    let destroy = costs
        .iter()
        .find(|(m, _)| m.starts_with("remove disk"))
        .unwrap();
    assert_eq!(destroy.1, None);
    assert!(!destroy.0.contains('€') && !destroy.0.contains("priced"));
}

#[test]
fn ram_is_priced_by_the_module_it_needs() {
    let (wipe, health) = (certs::wipe("wipe-passed.json"), certs::good_health());
    // Both slots full (4 + 2 GiB): the 2 GiB module goes, a 4 GiB one reaches 8 GiB.
    let mut probe = certs::probe();
    probe.power.batteries.remove(0);
    probe.memory.modules[1].size_bytes = Field::Known(2 * GIB);
    let v = evaluate(&probe, &wipe, &health, &Policy::default());
    assert!(matches!(v.actions[..], [Action::SwapRam { .. }]), "{v:?}");
    assert_eq!(v.pricing.unwrap().action_cents, [Some(1_500 + 750)]);

    // The RAM check names the faulty 8 GiB module: an 8 GiB module in 15 min.
    let mut probe = certs::probe();
    probe.power.batteries.remove(0);
    probe.memory.modules[0].size_bytes = Field::Known(8 * GIB);
    let mut checks = ChecksRecord {
        memory: Some(MemoryCheck {
            patterns: vec!["0x55".into()],
            bytes_tested: 1 << 30,
            bytes_total: None,
            duration_ms: 1_000,
            completed: true,
            errors: 3,
            first_errors: Vec::new(),
            module: Some("ChannelA-DIMM0".into()),
            ended_by: None,
        }),
        ..ChecksRecord::default()
    };
    let v = evaluate_with_checks(&probe, &wipe, &health, &checks, &Policy::default());
    assert_eq!(
        v.pricing.unwrap().action_cents,
        [Some(2_500 + 750)],
        "{:?}",
        v.actions
    );
    // Which module is unknown: not priced.
    checks.memory.as_mut().unwrap().module = None;
    let v = evaluate_with_checks(&probe, &wipe, &health, &checks, &Policy::default());
    assert_eq!(v.pricing.unwrap().action_cents, [None]);
}
