//! A self-test's course on a simulated drive, the same for ATA and NVMe: it runs for a few
//! progress reads, then ends the way the test asked; each protocol writes it into its own
//! status bytes and log.

/// A self-test the simulated drive is running or ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTest {
    Idle,
    /// Running: this many progress reads to go before it completes.
    Running {
        reads_left: u8,
    },
}

/// How a simulated self-test ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTestEnd {
    Pass,
    /// Fails with a read error at this LBA (ATA result 7, NVMe result 7 "segment failed").
    ReadFailure {
        lba: u64,
    },
}
