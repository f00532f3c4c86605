//! UTC timestamps without a date-time dependency: RFC 3339 for reports and the ledger, and the
//! two compact forms AWS Signature Version 4 needs.
//!
//! Days are converted to civil dates with the well-known proleptic-Gregorian algorithm
//! (days since 1970-01-01 -> year, month, day); leap seconds do not exist in Unix time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(pub u64);

impl Timestamp {
    /// The current time (the epoch if the clock is before it).
    pub(crate) fn now() -> Timestamp {
        Timestamp(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs())
    }

    /// `2026-01-02T03:04:05Z`.
    pub(crate) fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// `20260102T030405Z` (`SigV4` `X-Amz-Date`).
    #[cfg(feature = "validate")]
    pub(crate) fn amz_date(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    /// `20260102` (`SigV4` credential scope date).
    #[cfg(feature = "validate")]
    pub(crate) fn date_stamp(self) -> String {
        let (y, mo, d, ..) = self.parts();
        format!("{y:04}{mo:02}{d:02}")
    }

    fn parts(self) -> (i64, u32, u32, u64, u64, u64) {
        let days = (self.0 / 86_400) as i64;
        let rem = self.0 % 86_400;
        let (y, m, d) = crate::date::civil_from_days(days);
        (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
        // 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
        let t = Timestamp(1_440_938_160);
        assert_eq!(t.rfc3339(), "2015-08-30T12:36:00Z");
        #[cfg(feature = "validate")]
        {
            assert_eq!(t.amz_date(), "20150830T123600Z");
            assert_eq!(t.date_stamp(), "20150830");
        }
        // A leap day.
        assert_eq!(Timestamp(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
    }
}
