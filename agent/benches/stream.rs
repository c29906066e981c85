//! Throughput of the pattern generators on one core (`cargo bench -p reprise --bench stream`):
//! the random pass must outrun the disk, so this must be well above the device's MB/s.

use std::time::Instant;

use reprise::wipe::PassPattern;
use reprise::wipe::buf::AlignedBuf;
use reprise::wipe::pattern::Filler;

fn main() {
    let mut buf = AlignedBuf::new(8 << 20);
    let total: u64 = 4 << 30;
    for (name, p) in [
        ("random (AES-128-CTR)", PassPattern::Random),
        (
            "pattern:0102030405",
            PassPattern::Fixed(vec![1, 2, 3, 4, 5]),
        ),
    ] {
        let mut f = Filler::new(&p, b"0123456789abcdef", 0);
        let t = Instant::now();
        let mut off = 0;
        while off < total {
            f.fill(buf.as_mut_slice(), off);
            off += buf.len() as u64;
        }
        let s = t.elapsed().as_secs_f64();
        println!("{name:<22} {:>6.0} MB/s", total as f64 / s / 1e6);
    }
}
