//! Whether the run found the laptop's own storage. A Dell in "RAID"/Intel RST mode, or an
//! 11th-generation Intel laptop with VMD on, shows Linux no disk without the right driver: a run
//! that then found nothing and called it a clean finish would certify a laptop whose disk, with
//! the pupils' files, was never seen. So a run that found no internal storage stops and says why
//! — with the controller that may hide it and the step that fixes it — unless the operator,
//! having looked, states that the laptop has no disk (which the certificate records).

use crate::model::Language;
use crate::probe::model::ProbeReport;

/// A storage controller that may hide the laptop's disks, and the sentence that names it with
/// its fix, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HidingController {
    pub address: String,
    pub en: String,
    pub fr: String,
}

/// No internal storage was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoStorage {
    /// The controllers that may hide it (empty: nothing seen that could).
    pub hiding: Vec<HidingController>,
}

impl NoStorage {
    /// What the probe found, from its report: `None` when it found storage of the laptop's own.
    pub fn of(probe: &ProbeReport) -> Option<NoStorage> {
        if probe.has_internal_storage() {
            return None;
        }
        let hiding = probe
            .controllers_hiding_disks()
            .into_iter()
            .filter_map(|c| {
                let finding = c.finding?;
                let say = |lang| {
                    crate::verdict::messages::controller_finding(
                        c.kind,
                        finding,
                        &c.pci_id(),
                        c.remapped_nvme,
                        lang,
                    )
                };
                Some(HidingController {
                    address: c.address.clone(),
                    en: say(Language::En),
                    fr: say(Language::Fr),
                })
            })
            .collect();
        Some(NoStorage { hiding })
    }

    /// The whole refusal in `lang`, one sentence per line.
    pub fn lines(&self, lang: Language) -> Vec<String> {
        let fr = lang == Language::Fr;
        let mut out = vec![
            if fr {
                "AUCUN STOCKAGE INTERNE TROUVÉ : rien n'est écrit, aucun certificat n'est signé."
            } else {
                "NO INTERNAL STORAGE FOUND: nothing is written, no certificate is signed."
            }
            .to_owned(),
        ];
        for c in &self.hiding {
            out.push(if fr {
                format!("Contrôleur {} : {}", c.address, c.fr)
            } else {
                format!("Controller {}: {}", c.address, c.en)
            });
        }
        if self.hiding.is_empty() {
            out.push(
                if fr {
                    "Aucun contrôleur ne semble cacher de disque : vérifier que le portable a un \
                     disque et qu'il est branché."
                } else {
                    "No controller seems to hide one: check that the laptop has a disk and that it \
                     is connected."
                }
                .to_owned(),
            );
        }
        out
    }
}

impl std::fmt::Display for NoStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines(Language::En).join(" "))
    }
}
