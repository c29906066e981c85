//! SNTP (RFC 4330) packets: the client's request, and the server's reply read with the checks
//! a client must make — a server-mode packet, synchronised (leap indicator not 3, stratum 1 to
//! 15: stratum 0 is a "kiss-o'-death"), answering this very request (its originate timestamp is
//! the one the request carried), with a transmit time. Bytes in, values out; the socket and the
//! clocks are `sys::ntp`'s.

/// Length of an SNTP packet without extensions.
pub const PACKET_LEN: usize = 48;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const UNIX_EPOCH_NTP_SECONDS: i64 = 2_208_988_800;

/// Why a reply is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SntpError {
    #[error("the reply is {0} bytes, shorter than {PACKET_LEN}")]
    Short(usize),
    #[error("not a server's reply (mode {0})")]
    Mode(u8),
    #[error("the server is not synchronised (leap indicator 3)")]
    Unsynchronised,
    #[error("stratum {0}: the server gives no time (0 is a kiss-o'-death)")]
    Stratum(u8),
    #[error("the reply does not answer this request (another originate timestamp)")]
    NotOurs,
    #[error("the reply carries no transmit time")]
    NoTime,
}

/// A client request (LI 0, version 4, mode 3) whose transmit timestamp field carries `stamp`:
/// the server copies it into its reply's originate timestamp, which ties the reply to this
/// request. Random bytes serve better than the client's clock there: an off-path sender
/// cannot guess them.
pub fn request(stamp: [u8; 8]) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    p[0] = (4 << 3) | 3;
    p[40..48].copy_from_slice(&stamp);
    p
}

/// What a server's reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub stratum: u8,
    /// When the server received the request, milliseconds since the Unix epoch.
    pub receive_ms: i64,
    /// When the server sent the reply, milliseconds since the Unix epoch.
    pub transmit_ms: i64,
}

/// Reads a reply to the request that carried `stamp`.
pub fn reply(bytes: &[u8], stamp: [u8; 8]) -> Result<Reply, SntpError> {
    let p: &[u8; PACKET_LEN] = bytes
        .get(..PACKET_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or(SntpError::Short(bytes.len()))?;
    let mode = p[0] & 0b111;
    if mode != 4 {
        return Err(SntpError::Mode(mode));
    }
    if p[0] >> 6 == 3 {
        return Err(SntpError::Unsynchronised);
    }
    let stratum = p[1];
    if !(1..=15).contains(&stratum) {
        return Err(SntpError::Stratum(stratum));
    }
    if p[24..32] != stamp {
        return Err(SntpError::NotOurs);
    }
    let stamp_at = |at: usize| u64::from_be_bytes(p[at..at + 8].try_into().expect("8 bytes"));
    let transmit = stamp_at(40);
    if transmit == 0 {
        return Err(SntpError::NoTime);
    }
    Ok(Reply {
        stratum,
        receive_ms: unix_ms(stamp_at(32)),
        transmit_ms: unix_ms(transmit),
    })
}

/// An NTP timestamp (32.32 fixed point, seconds since 1900) as Unix milliseconds. The seconds
/// wrap in February 2036 (era 1): a value with its top bit clear is taken as after 2036
/// (RFC 4330 §3), so this reads right from 1968 to 2104.
pub fn unix_ms(stamp: u64) -> i64 {
    let seconds = i64::try_from(stamp >> 32).expect("32 bits");
    let era = if seconds & 0x8000_0000 == 0 {
        1i64 << 32
    } else {
        0
    };
    let fraction_ms = i64::try_from(((stamp & 0xffff_ffff) * 1000) >> 32).expect("under 1000");
    (seconds + era - UNIX_EPOCH_NTP_SECONDS) * 1000 + fraction_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STAMP: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

    /// A reply as a server writes it: `transmit` seconds since 1900.
    fn server_reply(li: u8, mode: u8, stratum: u8, originate: [u8; 8], seconds: u32) -> Vec<u8> {
        let mut p = vec![0u8; PACKET_LEN];
        p[0] = (li << 6) | (4 << 3) | mode;
        p[1] = stratum;
        p[24..32].copy_from_slice(&originate);
        // Plus half a second; 0 stands for "no time" (the whole stamp zero).
        let t = if seconds == 0 {
            0
        } else {
            (u64::from(seconds) << 32) | 0x8000_0000
        };
        p[32..40].copy_from_slice(&t.to_be_bytes());
        p[40..48].copy_from_slice(&t.to_be_bytes());
        p
    }

    // 2026-12-07T10:00:00Z is 1_796_637_600 Unix seconds.
    const NTP_2026: u32 = 1_796_637_600 + 2_208_988_800;

    #[test]
    fn a_request_is_a_version_4_client_packet_with_its_stamp() {
        let r = request(STAMP);
        assert_eq!(r[0], 0b00_100_011);
        assert_eq!(&r[40..48], &STAMP);
        assert!(r[1..40].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_good_reply_gives_the_servers_times() {
        let r = reply(&server_reply(0, 4, 2, STAMP, NTP_2026), STAMP).unwrap();
        assert_eq!(r.stratum, 2);
        assert_eq!(r.transmit_ms, 1_796_637_600_500);
        assert_eq!(r.receive_ms, r.transmit_ms);
    }

    #[test]
    fn replies_a_client_must_not_use_are_refused() {
        let bad = [
            (server_reply(0, 3, 2, STAMP, NTP_2026), SntpError::Mode(3)),
            (
                server_reply(3, 4, 2, STAMP, NTP_2026),
                SntpError::Unsynchronised,
            ),
            (
                server_reply(0, 4, 0, STAMP, NTP_2026),
                SntpError::Stratum(0),
            ),
            (
                server_reply(0, 4, 16, STAMP, NTP_2026),
                SntpError::Stratum(16),
            ),
            (server_reply(0, 4, 2, [9; 8], NTP_2026), SntpError::NotOurs),
            (server_reply(0, 4, 2, STAMP, 0), SntpError::NoTime),
        ];
        for (bytes, why) in bad {
            assert_eq!(reply(&bytes, STAMP), Err(why));
        }
        assert_eq!(reply(&[0; 47], STAMP), Err(SntpError::Short(47)));
    }

    #[test]
    fn timestamps_read_across_the_2036_wrap() {
        assert_eq!(unix_ms(u64::from(2_208_988_800u32) << 32), 0);
        // 2036-02-07T06:28:16Z: era 1's zero.
        assert_eq!(unix_ms(0), 2_085_978_496_000);
        assert_eq!(unix_ms(1 << 31), 2_085_978_496_500, "half a second");
        // The top bit set: era 0, from 1968 on.
        assert_eq!(unix_ms(1 << 63), (2_147_483_648 - 2_208_988_800) * 1000);
    }

    proptest! {
        #[test]
        fn no_input_makes_it_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100),
                                    stamp in any::<[u8; 8]>()) {
            let _ = reply(&bytes, stamp);
        }
    }
}
