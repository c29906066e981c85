//! The agent's integration tests, built as one test binary: one link of the library instead
//! of one per file, and one `support` module the tests share instead of `#[path]` includes.
//! Each module is one concern; `support` holds the fixtures and the safety-checked devices.

mod support;

mod architecture;
mod boot_medium;
mod cert_atomic;
mod cert_chain;
mod cert_checks;
mod cert_cli;
mod cert_evidence;
mod cert_firmware;
mod cert_golden;
mod cert_incidents;
mod cert_openssl;
mod cert_purge;
mod cert_render;
mod cert_storage;
mod cert_tamper;
mod donor_strings;
mod firmware_canary;
mod firmware_erase;
mod flow_plan;
mod forecast;
mod parse_ata;
mod parse_nvme;
mod parse_smbios;
mod probe_cli;
mod probe_degrade;
mod probe_fixtures;
mod probe_host;
mod probe_parsers;
mod probe_storage;
mod purge_plan;
mod run_console;
mod run_steps;
mod sampling_audit;
mod sanitized_truth;
mod self_test;
mod server_trust;
mod tui_no_storage;
mod tui_runtime;
mod tui_screens;
mod tui_tmux;
mod upload_queue;
mod verdict_prices;
mod verdict_rules;
mod wipe_cli;
mod wipe_engine;
mod wipe_loop;
