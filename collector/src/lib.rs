//! Reprise workshop server (`reprise-collector`): receives the certificates the agent uploads,
//! verifies each with the shared certificate crate (`reprise_cert`) against enrolled station
//! keys, stores it durably and idempotently (SQLite or PostgreSQL), checks every station's hash
//! chain, and serves the web UI (list, search, certificate pages, statistics, CSV, images), the
//! PXE rack (per-machine iPXE scripts and GRUB configurations, kernels and initramfs, over HTTP
//! and TFTP), and the OS images the agents deploy after a refurbish verdict (with HTTP ranges).
//!
//! `collector/README.md` documents the commands, the API with its status codes, the URL scheme,
//! the PXE setup and the security model.

pub mod api;
pub mod cli;
pub mod conn;
pub mod download;
pub mod export;
pub mod images;
pub mod ingest;
pub mod life;
pub mod lots;
pub mod parts;
pub mod pxe;
pub mod report;
pub mod server;
pub mod server_key;
pub mod store;
pub mod tftp;
pub mod util;
pub mod web;
