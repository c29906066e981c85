//! The cooling check: every logical CPU loaded for a short while (30 s by default) while the
//! sensors are read once a second; the record says how hot the CPU got, how fast it ran, and
//! whether it throttled. A laptop whose fan is clogged or whose thermal paste is dry overheats
//! or throttles within seconds of a full load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use reprise_cert::model::CoolingCheck;

/// How long the load lasts by default.
pub const DEFAULT_DURATION_MS: u64 = 30_000;

/// One reading during the check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoolingSample {
    /// Milliseconds since the load started (0: the idle reading just before).
    pub at_ms: u64,
    pub sensor: Option<String>,
    pub millicelsius: Option<u32>,
    pub khz: Option<u64>,
    /// The CPUs' throttle counter (events since boot).
    pub throttle_events: Option<u64>,
    pub load_permille: Option<u32>,
}

/// Starts `threads` threads that keep a CPU each busy until `stop` is set.
pub fn start_load(threads: usize, stop: &Arc<AtomicBool>) -> Vec<JoinHandle<()>> {
    (0..threads.max(1))
        .map(|i| {
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ i as u64;
                while !stop.load(Ordering::Relaxed) {
                    // Integer work the optimiser cannot remove: a xorshift chain, published.
                    for _ in 0..100_000 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                    }
                    x = std::hint::black_box(x);
                }
            })
        })
        .collect()
}

/// The record from the readings: the first is the idle one, taken before the load.
pub fn evaluate(samples: &[CoolingSample], threads: u32, duration_ms: u64) -> CoolingCheck {
    let idle = samples.first();
    let loaded: Vec<&CoolingSample> = samples.iter().skip(1).collect();
    let max = loaded.iter().filter_map(|s| s.millicelsius).max();
    let freqs: Vec<u64> = loaded.iter().filter_map(|s| s.khz).collect();
    let average = u64::try_from(freqs.len())
        .ok()
        .filter(|n| *n > 0)
        .map(|n| freqs.iter().sum::<u64>() / n);
    let throttle = match (
        idle.and_then(|s| s.throttle_events),
        loaded.iter().rev().find_map(|s| s.throttle_events),
    ) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    CoolingCheck {
        duration_ms,
        threads,
        sensor: samples.iter().find_map(|s| s.sensor.clone()),
        idle_millicelsius: idle.and_then(|s| s.millicelsius),
        // The peak under load, never the idle reading standing in for a load that was not
        // measured (no reading under load: the check then tested nothing).
        max_millicelsius: max.map(|m| m.max(idle.and_then(|s| s.millicelsius).unwrap_or(0))),
        average_khz: average,
        lowest_khz: freqs.iter().min().copied(),
        throttle_events: throttle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(at_ms: u64, c: u32, khz: u64, thr: u64) -> CoolingSample {
        CoolingSample {
            at_ms,
            sensor: Some("coretemp Package id 0".into()),
            millicelsius: Some(c),
            khz: Some(khz),
            throttle_events: Some(thr),
            load_permille: Some(1000),
        }
    }

    #[test]
    fn an_overheating_laptop_shows_its_peak_and_throttling() {
        let samples = [
            s(0, 45_000, 800_000, 10),
            s(1000, 88_000, 3_400_000, 10),
            s(2000, 99_000, 1_200_000, 14),
        ];
        let r = evaluate(&samples, 8, 2000);
        assert_eq!(r.idle_millicelsius, Some(45_000));
        assert_eq!(r.max_millicelsius, Some(99_000));
        assert_eq!(r.average_khz, Some(2_300_000));
        assert_eq!(r.lowest_khz, Some(1_200_000));
        assert_eq!(r.throttle_events, Some(4));
        assert_eq!(r.sensor.as_deref(), Some("coretemp Package id 0"));
    }

    #[test]
    fn a_machine_without_sensors_says_unknown() {
        let samples = [
            CoolingSample::default(),
            CoolingSample {
                at_ms: 1000,
                ..Default::default()
            },
        ];
        let r = evaluate(&samples, 2, 1000);
        assert_eq!(r.max_millicelsius, None);
        assert_eq!(r.throttle_events, None);
        assert_eq!(r.sensor, None);
    }

    /// Only the idle reading: the load was never measured, and the record says nothing of it.
    #[test]
    fn an_idle_reading_alone_is_no_reading_under_load() {
        let r = evaluate(&[s(0, 45_000, 800_000, 10)], 4, 0);
        assert_eq!(r.idle_millicelsius, Some(45_000));
        assert_eq!(
            (r.max_millicelsius, r.average_khz, r.throttle_events),
            (None, None, None)
        );
        assert_eq!(
            crate::checks::cooling_not_run(&r),
            Some(reprise_cert::model::NotRunWhy::NoReading)
        );
    }

    #[test]
    fn the_load_stops_when_asked() {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = start_load(2, &stop);
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
    }
}
