//! Calendar months: the model's unit of time, parsed from and printed as `YYYY-MM`.

use std::fmt;

/// A calendar month, stored as months since year 0 so that arithmetic is plain subtraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    /// Builds a month from a year and a month number in `1..=12`; `None` when out of range.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        if !(1..=12).contains(&month) || !(0..=9999).contains(&year) {
            return None;
        }
        Some(Month(year * 12 + month as i32 - 1))
    }

    /// Parses `YYYY-MM` (exactly four digits, a dash, two digits).
    pub fn parse(text: &str) -> Option<Month> {
        let bytes = text.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return None;
        }
        if !bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit) {
            return None;
        }
        let year: i32 = text[..4].parse().ok()?;
        let month: u32 = text[5..].parse().ok()?;
        Month::new(year, month)
    }

    /// The calendar year, such as 2019.
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month number, 1 for January.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// Number of months from `earlier` to `self` (negative when `self` is earlier).
    pub fn months_since(self, earlier: Month) -> i32 {
        self.0 - earlier.0
    }

    /// The month `count` months after `self`.
    pub fn plus(self, count: i32) -> Month {
        Month(self.0 + count)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        let month = Month::parse("2022-02").unwrap();
        assert_eq!(month.year(), 2022);
        assert_eq!(month.month(), 2);
        assert_eq!(month.to_string(), "2022-02");
        assert_eq!(month.plus(11).to_string(), "2023-01");
        assert_eq!(Month::parse("2023-01").unwrap().months_since(month), 11);
    }

    #[test]
    fn rejects_malformed_months() {
        for text in [
            "2022-13",
            "2022-00",
            "22-01",
            "2022/01",
            "2022-1",
            "abcd-01",
            "2022-01-01",
        ] {
            assert_eq!(Month::parse(text), None, "{text}");
        }
    }
}
