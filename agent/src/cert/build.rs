//! Pure building of the certificate content from the probe report, the wipe report, disk health
//! and the verdict (decided beforehand by `verdict`, so that this module needs none of its
//! rules). No I/O, no clock: time, chain link and tool version are parameters.

use std::collections::BTreeMap;

use super::model::*;
use crate::model::{DiskId, Field};
use crate::probe::model::{Controller, DiskHealth, OtherStorage, ProbeReport};
use crate::wipe::report::WipeReport;
use reprise_cert::verdict::{Action, Reason, Verdict};
use reprise_cert::{messages, validation};

/// Everything a certificate is made from, besides the key and the clock.
#[derive(Debug, Clone)]
pub struct IssueInputs {
    pub probe: ProbeReport,
    pub wipe: WipeReport,
    /// The verdict on this probe and wipe (`verdict::evaluate`).
    pub verdict: Verdict,
    /// SMART / NVMe health per disk; a disk absent here has unknown health.
    pub health: BTreeMap<DiskId, DiskHealth>,
    /// What went wrong before the certificate without keeping it from being written (a log
    /// not kept): recorded in it. Issuing adds its own (a sequence number skipped).
    pub incidents: Vec<Incident>,
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
    pub language: Language,
    /// RFC 3339 UTC issue time; `None` means now (tests inject a fixed one).
    pub issued_at: Option<String>,
    /// Where `issued_at` comes from (`flow::time`), when the caller decided it.
    pub time: Option<TimeRecord>,
    /// The hands-on checks done at the station, if any (recorded as they are).
    pub checks: Option<ChecksRecord>,
}

/// The certificate id for a station key id and sequence number (the contract's, which
/// `envelope::verify` holds every certificate to).
pub use reprise_cert::chain::certificate_id;

fn opt<T: Clone>(f: &Field<T>) -> Option<T> {
    f.known().cloned()
}

/// Builds the content. `tool_issuer` is e.g. "reprise 0.1.0".
pub fn build_certificate(
    inputs: &IssueInputs,
    issued_at: String,
    chain: ChainLink,
    tool_issuer: String,
) -> Certificate {
    let verdict = &inputs.verdict;
    let lang = inputs.language;
    Certificate {
        schema_version: SCHEMA_VERSION,
        id: certificate_id(&chain.station_key_id, chain.sequence),
        language: lang,
        issued_at,
        time: inputs.time.clone(),
        issuer: Issuer {
            organisation: inputs.organisation.clone(),
            site: inputs.site.clone(),
            operator: inputs.operator.clone(),
        },
        chain,
        tool: ToolInfo {
            issuer: tool_issuer,
            sanitizer: inputs.wipe.tool.clone(),
            image_digest: inputs.wipe.image_digest.clone(),
        },
        machine: machine(&inputs.probe, &inputs.health, &inputs.wipe, lang),
        sanitization: sanitization(inputs, verdict),
        destination: verdict.decision,
        verdict: verdict_record(verdict, lang),
        // What happened: a check that tested nothing is recorded as not run, with why.
        checks: inputs
            .checks
            .clone()
            .map(|c| crate::checks::settle(c, lang))
            .filter(|c| !c.is_empty()),
        incidents: inputs
            .incidents
            .iter()
            .map(|i| IncidentRecord {
                incident: i.clone(),
                message: messages::incident(i, lang),
            })
            .collect(),
    }
}

fn machine(
    p: &ProbeReport,
    health: &BTreeMap<DiskId, DiskHealth>,
    wipe: &WipeReport,
    lang: Language,
) -> Machine {
    let id = &p.identity;
    let modules = &p.memory.modules;
    let sizes: Option<Vec<u64>> = modules
        .iter()
        .map(|m| m.size_bytes.known().copied())
        .collect();
    let (installed, slots, free) = match sizes {
        Some(s) if !s.is_empty() => (
            Some(s.iter().sum()),
            u32::try_from(s.len()).ok(),
            u32::try_from(s.iter().filter(|b| **b == 0).count()).ok(),
        ),
        _ => (None, None, None),
    };
    Machine {
        identity: MachineIdentity {
            vendor: opt(&id.system.vendor),
            product: opt(&id.system.product_name),
            version: opt(&id.system.version),
            serial: opt(&id.system.serial),
            uuid: opt(&id.system.uuid),
            sku: opt(&id.system.sku),
            family: opt(&id.system.family),
            board_vendor: opt(&id.board.vendor),
            board_product: opt(&id.board.product_name),
            board_serial: opt(&id.board.serial),
            chassis_type: opt(&id.chassis.chassis_type_name),
            chassis_serial: opt(&id.chassis.serial),
            bios_vendor: opt(&id.bios.vendor),
            bios_version: opt(&id.bios.version),
            bios_date: opt(&id.bios.date),
        },
        cpu: CpuSummary {
            vendor: opt(&p.cpu.vendor),
            model: opt(&p.cpu.model_name),
            physical_cores: opt(&p.cpu.physical_cores),
            threads: opt(&p.cpu.threads),
            max_frequency_khz: opt(&p.cpu.max_frequency_khz),
            x86_64_level: opt(&p.cpu.x86_64_level),
        },
        memory: MemorySummary {
            usable_bytes: opt(&p.memory.total_usable_bytes),
            installed_bytes: installed,
            slots,
            free_slots: free,
            modules: modules
                .iter()
                .map(|m| MemoryModuleRecord {
                    slot: opt(&m.slot),
                    size_bytes: opt(&m.size_bytes),
                    memory_type: opt(&m.memory_type),
                    speed_mts: opt(&m.speed_mts),
                    form_factor: opt(&m.form_factor),
                    manufacturer: opt(&m.manufacturer),
                    part_number: opt(&m.part_number),
                    serial: opt(&m.serial),
                    soldered: m.soldered,
                })
                .collect(),
        },
        batteries: p
            .power
            .batteries
            .iter()
            .map(|b| BatterySummary {
                name: b.name.clone(),
                manufacturer: opt(&b.manufacturer),
                model: opt(&b.model_name),
                serial: opt(&b.serial),
                health_permille: opt(&b.health_permille),
                cycle_count: b.cycle_count.known().copied().flatten(),
            })
            .collect(),
        disks: p
            .disks
            .iter()
            .map(|d| DiskSummary {
                id: d.id.to_string(),
                name: d.name.clone(),
                model: opt(&d.model),
                serial: opt(&d.serial),
                size_bytes: opt(&d.size_bytes),
                interface: d.transport.as_str().into(),
                holds_system: d.holds_system,
                boot_medium: d.is_boot_medium(),
                // An explicit record (cert issue --health) wins over what the probe read.
                health: health_record(health.get(&d.id).unwrap_or(&d.health)),
            })
            .collect(),
        tpm: match &p.tpm {
            Field::Known(Some(t)) => TpmRecord {
                present: Some(true),
                spec_version: Some(t.spec_version.clone()),
                vendor: t.vendor.clone(),
                firmware: t.firmware.clone(),
            },
            Field::Known(None) => TpmRecord {
                present: Some(false),
                ..TpmRecord::default()
            },
            Field::Unknown(_) => TpmRecord::default(),
        },
        other_storage: p
            .other_storage
            .iter()
            .map(|o| other_storage(o, wipe, lang))
            .collect(),
        // Every storage controller (what shows the disks, or hides them); a network controller
        // only when it has no driver (the workshop then needs another way onto the network).
        controllers: p
            .controllers
            .iter()
            .filter(|c| c.is_storage() || c.finding.is_some())
            .map(|c| controller(c, lang))
            .collect(),
    }
}

/// Storage that is not a disk, with what was done to it: a namespace the kernel did not show
/// is erased only when a firmware command of a sanitized disk of its controller names it.
fn other_storage(o: &OtherStorage, wipe: &WipeReport, lang: Language) -> OtherStorageRecord {
    let handling = match o.nvme_namespace() {
        Some((serial, nsid)) if wipe.erased_namespace(serial, nsid) => {
            StorageHandling::ErasedWithController
        }
        _ => o.handling,
    };
    OtherStorageRecord {
        name: o.name.clone(),
        kind: o.kind,
        id: o.id.as_ref().map(ToString::to_string),
        part_of: o.part_of.as_ref().map(ToString::to_string),
        vendor: opt(&o.vendor),
        model: opt(&o.model),
        serial: opt(&o.serial),
        size_bytes: opt(&o.size_bytes),
        interface: o.transport.as_str().into(),
        handling,
        message: messages::other_storage(o.kind, handling, lang),
    }
}

fn controller(c: &Controller, lang: Language) -> ControllerRecord {
    ControllerRecord {
        address: c.address.clone(),
        kind: c.kind,
        pci_id: c.pci_id(),
        driver: c.driver.clone(),
        disks: c.disks.iter().map(ToString::to_string).collect(),
        finding: c.finding,
        message: c
            .finding
            .map(|f| messages::controller_finding(c.kind, f, &c.pci_id(), c.remapped_nvme, lang)),
    }
}

fn health_record(h: &DiskHealth) -> DiskHealthRecord {
    DiskHealthRecord {
        smart_passed: h.smart_passed,
        reallocated_sectors: h.reallocated.map(|v| v.to_string()),
        pending_sectors: h.pending.map(|v| v.to_string()),
        media_errors: h.media_errors.map(|v| v.to_string()),
        status: Some(h.status),
        why: h.why.clone(),
        source: h.source.clone(),
        power_on_hours: h.power_on_hours.map(|v| v.to_string()),
        temperature_celsius: h.temperature_celsius.map(i32::from),
        percentage_used: h.percentage_used.map(u32::from),
        available_spare: h.available_spare.map(u32::from),
        available_spare_threshold: h.available_spare_threshold.map(u32::from),
        critical_warnings: h.critical_warnings.clone(),
        self_test: h.self_test.as_ref().map(|t| SelfTestRecord {
            kind: t.kind,
            passed: t.passed,
            result: t.result.clone(),
            failing_lba: t.failing_lba.map(|l| l.to_string()),
            duration_ms: t.duration_ms,
        }),
    }
}

fn sanitization(inputs: &IssueInputs, verdict: &Verdict) -> Vec<DiskSanitization> {
    inputs
        .wipe
        .devices
        .iter()
        .map(|w| {
            let dev = &w.device;
            let id = dev.id.to_string();
            let names_disk = |a: &Action| match a {
                Action::DestroyDisk { disk }
                | Action::ReplaceDisk { disk, .. }
                | Action::SanitizeOrRemoveDisk { disk }
                | Action::PurgeDisk { disk } => disk == &id,
                _ => false,
            };
            // The strongest instruction about this disk wins (`Disposition`'s order).
            let disposition = verdict
                .actions
                .iter()
                .filter(|a| names_disk(a))
                .map(|a| match a {
                    Action::DestroyDisk { .. } => Disposition::Destroy,
                    Action::SanitizeOrRemoveDisk { .. } | Action::PurgeDisk { .. } => {
                        Disposition::SanitizeAgain
                    }
                    _ => Disposition::Replace,
                })
                .max()
                .unwrap_or(Disposition::Keep);
            // The exception is the verdict's finding about this disk, said with its level.
            let exception = verdict.reasons.iter().find_map(|r| match r {
                Reason::RemappedSectorsUnreachable { disk, sectors } if disk == &id => {
                    let e = LevelException::RemappedSectorsUnreachable {
                        sectors: sectors.clone(),
                    };
                    Some(ExceptionRecord {
                        message: messages::exception(w.level, &e, inputs.language),
                        exception: e,
                    })
                }
                _ => None,
            });
            let (hpa, dco) = w.hidden_states();
            let mut d = DiskSanitization {
                device: DeviceRecord {
                    disk_id: id.clone(),
                    dev_path: dev.dev_path.clone(),
                    vendor: dev.vendor.clone(),
                    model: dev.model.clone(),
                    serial: dev.serial.clone(),
                    firmware: dev.firmware.clone(),
                    capacity_bytes: dev.size_bytes,
                    logical_sector_size: dev.logical_sector_size,
                    interface: dev.transport.as_str().into(),
                    media_type: dev.media_type.as_str().into(),
                },
                hidden_areas: HiddenAreas {
                    hpa: Some(hpa),
                    dco: Some(dco),
                    ..w.hidden_areas
                        .as_ref()
                        .map(hidden_record)
                        .unwrap_or_default()
                },
                level: w.level,
                requested_level: inputs.wipe.requested_level.filter(|r| *r != w.level),
                technique: w.technique.clone(),
                method: w.method.clone(),
                passes: w
                    .passes
                    .iter()
                    .map(|p| PassRecord {
                        pass: p.pass,
                        pattern: p.pattern.clone(),
                        bytes_written: p.bytes_written,
                        duration_ms: p.duration_ms,
                    })
                    .collect(),
                bytes_written: w.bytes_written,
                started_at: w.started_at.clone(),
                finished_at: w.finished_at.clone(),
                duration_ms: w.duration_ms,
                write_rate_bps: w.write_rate_bps,
                verification: VerificationRecord {
                    mode: w.verification.mode,
                    requested_permille: w.verification.requested_permille,
                    coverage_permille: w.verification.coverage_permille,
                    algorithm: w.verification.algorithm.clone(),
                    seed: w.verification.seed.clone(),
                    total_sectors: w.verification.total_sectors,
                    sector_size: w.verification.sector_size,
                    subsections: w.verification.subsections,
                    blocks_checked: w.verification.blocks_checked,
                    bytes_checked: w.verification.bytes_checked,
                    mismatches: w.verification.mismatches,
                    first_mismatch_lba: w.verification.first_mismatch_lba,
                    passed: w.verification.passed,
                    firmware_check: w.firmware_check.as_ref().map(|c| FirmwareCheckRecord {
                        rule: c.rule,
                        blocks_checked: c.blocks_checked,
                        bytes_checked: c.bytes_checked,
                        unchanged_blocks: c.unchanged_blocks,
                        unreadable_blocks: c.unreadable_blocks,
                        first_bad_lba: c.first_bad_lba,
                        digests: c.digest(),
                        passed: c.passed,
                        canaries: c.canaries,
                        canary_rule: c.canary_rule(),
                        wrong_content_blocks: c.wrong_content_blocks,
                    }),
                },
                result: w.outcome,
                sanitized: w.is_sanitized(),
                errors: w
                    .errors
                    .iter()
                    .map(|e| ErrorRecord {
                        operation: e.operation.as_str().into(),
                        lba: e.lba,
                        sectors: e.sectors,
                        message: e.message.clone(),
                    })
                    .collect(),
                disposition,
                explanations: w
                    .explanations
                    .iter()
                    .map(|e| ExplanationRecord {
                        explanation: e.clone(),
                        message: reprise_cert::plan::explanation(e, inputs.language),
                    })
                    .collect(),
                firmware: w.firmware.as_ref().map(|f| FirmwareRecord {
                    command: f.command.clone(),
                    namespaces: f.namespaces.clone(),
                    observed_in_progress: f.observed_in_progress,
                    reported_success: f.reported_success,
                    completion: f.completion,
                    status: f.status.clone(),
                    duration_ms: f.duration_ms,
                    estimated_ms: f.estimated_ms,
                    polls: f.polls,
                    security_disabled_after: f.security_disabled_after,
                    status_before: f.status_before.clone(),
                    status_after: f.status_after.clone(),
                }),
                exception,
                validation: None,
            };
            // Decided from the entry alone, so that a reader decides it again the same way.
            d.validation = Some(validation::record(&d, inputs.language));
            d
        })
        .collect()
}

fn hidden_record(h: &crate::wipe::report::HiddenAreas) -> HiddenAreas {
    HiddenAreas {
        hpa_sectors_before: h.hpa_sectors_before,
        hpa_sectors_after: h.hpa_sectors_after,
        dco_sectors_before: h.dco_sectors_before,
        dco_sectors_after: h.dco_sectors_after,
        hpa: None,
        dco: None,
    }
}

/// The verdict with its sentences in `lang`.
pub fn verdict_record(v: &Verdict, lang: Language) -> VerdictRecord {
    VerdictRecord {
        decision: v.decision,
        grade: v.grade,
        reasons: v
            .reasons
            .iter()
            .map(|r| ReasonRecord {
                reason: r.clone(),
                message: messages::reason(r, lang),
            })
            .collect(),
        actions: v
            .priced_actions()
            .map(|(a, cost)| ActionRecord {
                action: a.clone(),
                // Without prices the sentence is the plain instruction, as it always was.
                message: match &v.pricing {
                    Some(_) => messages::priced_action(a, cost, lang),
                    None => messages::action(a, lang),
                },
                cost_cents: cost,
            })
            .collect(),
        repair_cost_cents: v.pricing.as_ref().map(|p| p.repair_cost_cents),
        budget_cents: v.pricing.as_ref().map(|p| p.budget_cents),
        budget_basis: v.pricing.as_ref().map(|p| p.budget_basis.clone()),
    }
}
