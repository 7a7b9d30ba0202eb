//! Counting time the way a repository's `tacit.yml` says: wall-clock, or only
//! business days (`business_days: true`, SPEC section 5).
//!
//! Pure: no I/O, no clock. "Now" is always an argument.
//!
//! With business days, only time inside Monday–Friday days that are not
//! `holidays` counts, each day taken in the configured `timezone` from local
//! midnight to the next local midnight. A day on which daylight saving time
//! starts or ends therefore counts 23 or 25 hours of business time: a business
//! day is a day on the local calendar, not 24 hours. (In most zones the
//! switch falls on a Sunday and does not count anyway; in Egypt or Israel it
//! falls on a weekday.) Where local midnight does not exist (a DST gap at
//! midnight), the day starts when the clocks resume.
//!
//! Durations count exactly: `1d` of business time is 24 hours of it (a whole
//! business day only when it starts at midnight), and `1w` is 168 hours, i.e.
//! seven business days.
//!
//! Without business days everything is plain elapsed time: a 72h window is
//! 72 real hours whatever the local clocks do in between.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use std::collections::BTreeSet;
use std::time::Duration;

const NANOS_PER_SEC: i128 = 1_000_000_000;
const HOUR: i128 = 3_600 * NANOS_PER_SEC;
/// Seven days of wall-clock time, in nanoseconds.
const WEEK: i128 = 7 * 24 * HOUR;
/// The business time in seven consecutive days without holidays or clock
/// changes: five weekdays of 24 hours.
const BUSINESS_WEEK: i128 = 5 * 24 * HOUR;
/// Stands for "before/after anything jiff can represent" at the ends of its
/// range (years -9999 and 9999); far from overflowing `i128` arithmetic.
const FAR: i128 = 1 << 100;

/// A repository's way of counting time.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    business_days: bool,
    holidays: BTreeSet<Date>,
    /// Skip runs of whole weeks at once (always on; off only in tests, to
    /// check the fast path against day-by-day counting).
    bulk: bool,
}

/// One local calendar day, `[start, end)` in nanoseconds since the epoch.
#[derive(Debug, Clone, Copy)]
struct Day {
    date: Date,
    start: i128,
    end: i128,
}

impl Calendar {
    /// A calendar in the IANA time zone `timezone`. The error says which name
    /// is unknown.
    pub fn new(timezone: &str, business_days: bool, holidays: &[Date]) -> Result<Calendar, String> {
        let tz = TimeZone::get(timezone)
            .map_err(|err| format!("unknown time zone `{timezone}`: {err}"))?;
        Ok(Calendar::with_time_zone(tz, business_days, holidays))
    }

    /// A calendar in an already resolved time zone.
    pub fn with_time_zone(tz: TimeZone, business_days: bool, holidays: &[Date]) -> Calendar {
        Calendar {
            tz,
            business_days,
            holidays: holidays.iter().copied().collect(),
            bulk: true,
        }
    }

    /// The calendar of an intent's policy. The time zone was validated when
    /// the file was parsed; should it fail now (a tz database without it),
    /// UTC is used rather than failing the intent.
    pub fn from_policy(p: &super::config::Policy) -> Calendar {
        Calendar::new(&p.timezone, p.business_days, &p.holidays).unwrap_or_else(|_| {
            Calendar::with_time_zone(TimeZone::UTC, p.business_days, &p.holidays)
        })
    }

    pub fn timezone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether time on this local date counts: always without business days;
    /// with them, Monday to Friday except holidays.
    pub fn is_business_day(&self, date: Date) -> bool {
        !self.business_days
            || (!matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
                && !self.holidays.contains(&date))
    }

    /// `start + d`, where with business days only business time counts: the
    /// earliest instant by which `d` of it has elapsed since `start`.
    ///
    /// Counting from a weekend or holiday starts at the next business day's
    /// midnight; a duration that ends exactly at the end of a business day
    /// ends at that midnight (Friday 24:00), not on the next business day.
    /// A zero duration gives `start` itself. Saturates at the end of jiff's
    /// range.
    pub fn add(&self, start: Timestamp, d: Duration) -> Timestamp {
        // At most ~1.8e28 ns: fits an i128 with room to spare.
        let mut remaining = d.as_nanos() as i128;
        let start = start.as_nanosecond();
        if remaining == 0 {
            return timestamp(start);
        }
        // Business time never runs faster than wall time.
        if !self.business_days || start + remaining > Timestamp::MAX.as_nanosecond() {
            return timestamp(start + remaining);
        }
        let mut day = self.day_containing(start);
        let mut at = start;
        loop {
            if self.is_business_day(day.date) {
                let available = day.end - at;
                if remaining <= available {
                    return timestamp(at + remaining);
                }
                remaining -= available;
            }
            let Some(next) = self.next_day(&day) else {
                return Timestamp::MAX;
            };
            day = next;
            // Skip whole weeks, but never all of `remaining`: the end must be
            // found by the day-by-day step above.
            if let Some((after, weeks)) = self.skip_weeks(&day, (remaining - 1) / BUSINESS_WEEK) {
                remaining -= weeks * BUSINESS_WEEK;
                day = after;
            }
            at = day.start;
        }
    }

    /// The time counted between `a` and `b`: business time with business
    /// days, wall-clock time otherwise. Zero when `b` is not after `a`.
    pub fn elapsed(&self, a: Timestamp, b: Timestamp) -> Duration {
        let (a, b) = (a.as_nanosecond(), b.as_nanosecond());
        if b <= a {
            return Duration::ZERO;
        }
        if !self.business_days {
            return duration(b - a);
        }
        let mut day = self.day_containing(a);
        let mut at = a;
        let mut total = 0;
        loop {
            if self.is_business_day(day.date) {
                total += day.end.min(b) - at;
            }
            if day.end >= b {
                break;
            }
            let Some(next) = self.next_day(&day) else {
                break;
            };
            day = next;
            if let Some((after, weeks)) = self.skip_weeks(&day, (b - day.start) / WEEK) {
                total += weeks * BUSINESS_WEEK;
                day = after;
            }
            at = day.start;
        }
        duration(total)
    }

    /// Local midnight starting `date`, in nanoseconds. Where midnight falls
    /// in a gap, the instant the clocks resume ("compatible" resolution);
    /// where it falls in a fold, the first one.
    fn midnight(&self, date: Date) -> i128 {
        match self.tz.to_timestamp(DateTime::from(date)) {
            Ok(ts) => ts.as_nanosecond(),
            // Only at the ends of jiff's range.
            Err(_) if date.year() < 0 => -FAR,
            Err(_) => FAR,
        }
    }

    fn day(&self, date: Date) -> Day {
        Day {
            date,
            start: self.midnight(date),
            end: date.tomorrow().map_or(FAR, |next| self.midnight(next)),
        }
    }

    fn next_day(&self, day: &Day) -> Option<Day> {
        let date = day.date.tomorrow().ok()?;
        Some(Day {
            date,
            start: day.end,
            end: date.tomorrow().map_or(FAR, |next| self.midnight(next)),
        })
    }

    /// The local day whose `[start, end)` holds `at`.
    fn day_containing(&self, at: i128) -> Day {
        let date = match Timestamp::from_nanosecond(at) {
            Ok(ts) => self.tz.to_datetime(ts).date(),
            Err(_) => return self.day(if at < 0 { Date::MIN } else { Date::MAX }),
        };
        let mut day = self.day(date);
        // The local date and the day bounds can disagree by one inside a fold
        // at midnight; walk to the day that really holds `at`.
        while at < day.start {
            match day.date.yesterday() {
                Ok(date) => day = self.day(date),
                Err(_) => break,
            }
        }
        while at >= day.end {
            match self.next_day(&day) {
                Some(next) => day = next,
                None => break,
            }
        }
        day
    }

    /// Jumps over up to `max_weeks` whole weeks starting at `day` (at its
    /// midnight) when they hold neither a holiday nor a clock change: each
    /// such week is exactly [`BUSINESS_WEEK`] of business time, whatever the
    /// weekday it starts on. Returns the day after the jump and the number of
    /// weeks, or `None` when no whole week can be skipped.
    fn skip_weeks(&self, day: &Day, max_weeks: i128) -> Option<(Day, i128)> {
        if !self.bulk || max_weeks < 1 {
            return None;
        }
        let start = Timestamp::from_nanosecond(day.start).ok()?;
        // Weeks that end strictly before the next transition.
        let by_transition = match self.tz.following(start).next() {
            Some(t) => (t.timestamp().as_nanosecond() - day.start - 1) / WEEK,
            None => i128::MAX,
        };
        let by_holiday = match self.holidays.range(day.date..).next() {
            Some(holiday) => i128::from(day.date.duration_until(*holiday).as_secs() / 86_400) / 7,
            None => i128::MAX,
        };
        let weeks = max_weeks.min(by_transition).min(by_holiday);
        if weeks < 1 {
            return None;
        }
        let target = day.start + weeks * WEEK;
        let after = self.day_containing(target);
        // With one offset throughout, local midnight moves by exactly seven
        // days a week; if it somehow did not, count day by day instead.
        (after.start == target).then_some((after, weeks))
    }
}

/// A timestamp from nanoseconds, clamped to jiff's range.
fn timestamp(nanos: i128) -> Timestamp {
    let nanos = nanos.clamp(
        Timestamp::MIN.as_nanosecond(),
        Timestamp::MAX.as_nanosecond(),
    );
    Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MAX)
}

/// A non-negative number of nanoseconds as a `Duration`.
fn duration(nanos: i128) -> Duration {
    let nanos = nanos.max(0);
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    // Below 1e9, so it fits.
    Duration::new(secs, (nanos % NANOS_PER_SEC) as u32)
}

/// `act_within` (SPEC 5): the local hours of a day in which a closing window may act,
/// `[start, end)` in the calendar's time zone, like `09:00-17:00`. Written and stored
/// as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DailyHours {
    pub start: Time,
    pub end: Time,
}

impl DailyHours {
    /// `HH:MM-HH:MM` (24-hour clock, two digits each), the start before the end.
    pub fn parse(s: &str) -> Result<DailyHours, String> {
        let invalid =
            || format!("`{s}` is not a span of hours: write HH:MM-HH:MM, like 09:00-17:00");
        let (start, end) = s.trim().split_once('-').ok_or_else(invalid)?;
        let time = |t: &str| -> Result<Time, String> {
            let b = t.as_bytes();
            if b.len() != 5
                || b[2] != b':'
                || !b
                    .iter()
                    .enumerate()
                    .all(|(i, c)| i == 2 || c.is_ascii_digit())
            {
                return Err(invalid());
            }
            // Only ASCII digits, so the parses below cannot fail.
            let hour: i8 = t[..2].parse().map_err(|_| invalid())?;
            let minute: i8 = t[3..].parse().map_err(|_| invalid())?;
            Time::new(hour, minute, 0, 0).map_err(|_| invalid())
        };
        let (start, end) = (time(start.trim())?, time(end.trim())?);
        if start >= end {
            return Err(format!(
                "`{s}` ends before it starts: the first time must be the earlier, like 09:00-17:00"
            ));
        }
        Ok(DailyHours { start, end })
    }
}

impl std::fmt::Display for DailyHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.strftime("%H:%M"),
            self.end.strftime("%H:%M")
        )
    }
}

impl TryFrom<String> for DailyHours {
    type Error = String;
    fn try_from(s: String) -> Result<DailyHours, String> {
        DailyHours::parse(&s)
    }
}

impl From<DailyHours> for String {
    fn from(hours: DailyHours) -> String {
        hours.to_string()
    }
}

impl Calendar {
    /// The first instant at or after `t` inside `hours` of a day that counts (every day
    /// without business days; Monday to Friday, holidays excepted, with them), in the
    /// calendar's time zone. `t` itself when it is inside. A start that falls in a
    /// daylight-saving gap begins when the clocks resume; in a fold, at the first one.
    pub fn within_hours(&self, t: Timestamp, hours: DailyHours) -> Timestamp {
        let at = |date: Date, time: Time| {
            self.tz
                .to_timestamp(date.to_datetime(time))
                .unwrap_or(Timestamp::MAX)
        };
        let mut date = self.tz.to_datetime(t).date();
        if self.is_business_day(date) {
            let (start, end) = (at(date, hours.start), at(date, hours.end));
            if t < start {
                return start;
            }
            if t < end {
                return t;
            }
        }
        // Weekends and holidays end within this many days.
        for _ in 0..self.holidays.len() + 8 {
            let Ok(next) = date.tomorrow() else {
                return t;
            };
            date = next;
            if self.is_business_day(date) {
                return at(date, hours.start);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const SEC: u64 = 1;
    const MIN: u64 = 60;
    const H: u64 = 3_600;
    const D: u64 = 86_400;

    fn ts(s: &str) -> Timestamp {
        s.parse()
            .unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn business(tz: &str) -> Calendar {
        Calendar::new(tz, true, &[]).unwrap()
    }

    fn business_with(tz: &str, holidays: &[Date]) -> Calendar {
        Calendar::new(tz, true, holidays).unwrap()
    }

    fn slow(calendar: &Calendar) -> Calendar {
        Calendar {
            bulk: false,
            ..calendar.clone()
        }
    }

    /// `(calendar, start, duration, expected end)`; every case is also
    /// checked backwards with `elapsed`.
    fn check_add(cases: &[(&Calendar, &str, u64, &str)]) {
        for &(calendar, start, d, expected) in cases {
            let (start, expected) = (ts(start), ts(expected));
            let end = calendar.add(start, secs(d));
            assert_eq!(
                end,
                expected,
                "{:?} + {d}s: got {}",
                calendar.timezone().iana_name(),
                end.to_zoned_datetime(calendar.timezone().clone())
            );
            assert_eq!(
                calendar.elapsed(start, end),
                secs(d),
                "elapsed back from {end}"
            );
            assert_eq!(slow(calendar).add(start, secs(d)), expected, "day by day");
        }
    }

    #[test]
    fn wall_clock_without_business_days() {
        let berlin = Calendar::new("Europe/Berlin", false, &[date(2026, 3, 30)]).unwrap();
        let new_york = Calendar::new("America/New_York", false, &[]).unwrap();
        check_add(&[
            // 72 real hours, whatever the weekday or holiday.
            (
                &berlin,
                "2026-03-27T15:00+01:00",
                72 * H,
                "2026-03-30T16:00+02:00",
            ),
            // Across the spring change the local clock shows 25h later.
            (
                &berlin,
                "2026-03-28T12:00+01:00",
                24 * H,
                "2026-03-29T13:00+02:00",
            ),
            (
                &berlin,
                "2026-10-24T12:00+02:00",
                24 * H,
                "2026-10-25T11:00+01:00",
            ),
            (
                &new_york,
                "2026-03-07T12:00-05:00",
                24 * H,
                "2026-03-08T13:00-04:00",
            ),
            (
                &new_york,
                "2026-10-31T12:00-04:00",
                24 * H,
                "2026-11-01T11:00-05:00",
            ),
            (
                &new_york,
                "2026-10-31T12:00-04:00",
                0,
                "2026-10-31T12:00-04:00",
            ),
        ]);
        assert_eq!(
            berlin.elapsed(ts("2026-03-28T00:00+01:00"), ts("2026-03-29T00:00+01:00")),
            secs(24 * H)
        );
    }

    #[test]
    fn friday_afternoon_crosses_the_weekend() {
        let utc = business("UTC");
        check_add(&[
            (&utc, "2026-06-05T15:00Z", 9 * H, "2026-06-06T00:00Z"),
            (&utc, "2026-06-05T15:00Z", 9 * H + 1, "2026-06-08T00:00:01Z"),
            (&utc, "2026-06-05T15:00Z", 24 * H, "2026-06-08T15:00Z"),
            (&utc, "2026-06-05T15:00Z", 72 * H, "2026-06-10T15:00Z"),
            (&utc, "2026-06-01T00:00Z", 5 * D, "2026-06-06T00:00Z"),
            (
                &utc,
                "2026-06-01T00:00Z",
                5 * D + SEC,
                "2026-06-08T00:00:01Z",
            ),
        ]);
    }

    #[test]
    fn spring_and_autumn_clock_changes_on_weekends() {
        let berlin = business("Europe/Berlin");
        let new_york = business("America/New_York");
        check_add(&[
            // Berlin: DST starts Sunday 2026-03-29, ends Sunday 2026-10-25.
            (
                &berlin,
                "2026-03-27T15:00+01:00",
                24 * H,
                "2026-03-30T15:00+02:00",
            ),
            (
                &berlin,
                "2026-03-27T15:00+01:00",
                9 * H,
                "2026-03-28T00:00+01:00",
            ),
            (
                &berlin,
                "2026-03-28T10:00+01:00",
                H,
                "2026-03-30T01:00+02:00",
            ),
            (
                &berlin,
                "2026-10-23T15:00+02:00",
                24 * H,
                "2026-10-26T15:00+01:00",
            ),
            (
                &berlin,
                "2026-10-25T02:30+01:00",
                30 * MIN,
                "2026-10-26T00:30+01:00",
            ),
            (
                &berlin,
                "2026-03-23T09:00+01:00",
                72 * H,
                "2026-03-26T09:00+01:00",
            ),
            (
                &berlin,
                "2026-03-25T09:00+01:00",
                72 * H,
                "2026-03-30T09:00+02:00",
            ),
            // New York: DST starts Sunday 2026-03-08, ends Sunday 2026-11-01.
            (
                &new_york,
                "2026-03-06T15:00-05:00",
                24 * H,
                "2026-03-09T15:00-04:00",
            ),
            (
                &new_york,
                "2026-03-08T02:30-04:00",
                H,
                "2026-03-09T01:00-04:00",
            ),
            (
                &new_york,
                "2026-10-30T15:00-04:00",
                24 * H,
                "2026-11-02T15:00-05:00",
            ),
            (
                &new_york,
                "2026-11-01T01:30-04:00",
                H,
                "2026-11-02T01:00-05:00",
            ),
            (
                &new_york,
                "2026-11-01T01:30-05:00",
                H,
                "2026-11-02T01:00-05:00",
            ),
        ]);
    }

    #[test]
    fn clock_changes_on_business_days_count_23_or_25_hours() {
        // Israel starts DST on Friday 2026-03-27 at 02:00 (to 03:00); Egypt
        // starts it on Friday 2026-04-24 at midnight (to 01:00) and ends it
        // at the end of Thursday 2026-10-29 (24:00 back to 23:00).
        let jerusalem = business("Asia/Jerusalem");
        let cairo = business("Africa/Cairo");
        let day_length =
            |calendar: &Calendar, from: &str, to: &str| calendar.elapsed(ts(from), ts(to));
        assert_eq!(
            day_length(
                &jerusalem,
                "2026-03-27T00:00+02:00",
                "2026-03-28T00:00+03:00"
            ),
            secs(23 * H)
        );
        assert_eq!(
            day_length(&cairo, "2026-04-24T01:00+03:00", "2026-04-25T00:00+03:00"),
            secs(23 * H)
        );
        assert_eq!(
            day_length(&cairo, "2026-10-29T00:00+03:00", "2026-10-30T00:00+02:00"),
            secs(25 * H)
        );
        check_add(&[
            // Thursday 24h + Friday 23h, then 1h on Monday.
            (
                &jerusalem,
                "2026-03-26T00:00+02:00",
                48 * H,
                "2026-03-30T01:00+03:00",
            ),
            (
                &jerusalem,
                "2026-03-27T00:00+02:00",
                3 * H,
                "2026-03-27T04:00+03:00",
            ),
            // Egypt's Friday starts at 01:00, when the clocks resume.
            (
                &cairo,
                "2026-04-23T12:00+02:00",
                12 * H,
                "2026-04-24T01:00+03:00",
            ),
            (
                &cairo,
                "2026-04-23T12:00+02:00",
                13 * H,
                "2026-04-24T02:00+03:00",
            ),
            (
                &cairo,
                "2026-10-29T00:00+03:00",
                25 * H,
                "2026-10-30T00:00+02:00",
            ),
            (
                &cairo,
                "2026-10-29T00:00+03:00",
                24 * H,
                "2026-10-29T23:00+02:00",
            ),
            (
                &cairo,
                "2026-10-29T00:00+03:00",
                23 * H,
                "2026-10-29T23:00+03:00",
            ),
        ]);
    }

    #[test]
    fn half_and_quarter_hour_zones() {
        let kolkata = business("Asia/Kolkata");
        let kathmandu = business("Asia/Kathmandu");
        check_add(&[
            (
                &kolkata,
                "2026-06-05T18:30+05:30",
                72 * H,
                "2026-06-10T18:30+05:30",
            ),
            (
                &kolkata,
                "2026-06-05T23:00+05:30",
                H,
                "2026-06-06T00:00+05:30",
            ),
            (
                &kolkata,
                "2026-06-06T10:00+05:30",
                H,
                "2026-06-08T01:00+05:30",
            ),
            // Midnight in Kolkata is 18:30 UTC the day before.
            (&kolkata, "2026-06-05T18:00Z", 30 * MIN, "2026-06-05T18:30Z"),
            (&kolkata, "2026-06-05T18:00Z", 31 * MIN, "2026-06-07T18:31Z"),
            (
                &kathmandu,
                "2026-06-05T23:00+05:45",
                H,
                "2026-06-06T00:00+05:45",
            ),
            (
                &kathmandu,
                "2026-06-06T10:00+05:45",
                H,
                "2026-06-08T01:00+05:45",
            ),
            (&kathmandu, "2026-06-05T18:15Z", 0, "2026-06-05T18:15Z"),
            (
                &kathmandu,
                "2026-06-05T18:14Z",
                2 * MIN,
                "2026-06-07T18:16Z",
            ),
        ]);
        // Saturday in Kathmandu starts at 18:15 UTC on Friday.
        assert!(kathmandu.is_business_day(date(2026, 6, 5)));
        assert_eq!(
            kathmandu.elapsed(ts("2026-06-05T12:00Z"), ts("2026-06-07T12:00Z")),
            secs(6 * H + 15 * MIN)
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let berlin = business_with(
            "Europe/Berlin",
            &[date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31)],
        );
        check_add(&[
            (
                &berlin,
                "2026-12-23T12:00+01:00",
                24 * H,
                "2026-12-28T12:00+01:00",
            ),
            (
                &berlin,
                "2026-12-23T12:00+01:00",
                12 * H,
                "2026-12-24T00:00+01:00",
            ),
            // Starting on a holiday counts from the next business day.
            (
                &berlin,
                "2026-12-24T09:00+01:00",
                H,
                "2026-12-28T01:00+01:00",
            ),
            // Thursday 31st is a holiday, Friday 1st is not.
            (
                &berlin,
                "2026-12-28T00:00+01:00",
                4 * D,
                "2027-01-02T00:00+01:00",
            ),
            (
                &berlin,
                "2026-12-28T00:00+01:00",
                4 * D + 1,
                "2027-01-04T00:00:01+01:00",
            ),
            (
                &berlin,
                "2026-12-28T00:00+01:00",
                3 * D,
                "2026-12-31T00:00+01:00",
            ),
        ]);
        assert!(!berlin.is_business_day(date(2026, 12, 24)));
        assert!(!berlin.is_business_day(date(2026, 12, 26)));
        assert!(berlin.is_business_day(date(2026, 12, 23)));
        // Holidays are ignored without business days.
        let plain = Calendar::new("Europe/Berlin", false, &[date(2026, 12, 24)]).unwrap();
        assert!(plain.is_business_day(date(2026, 12, 24)));
        assert!(plain.is_business_day(date(2026, 12, 26)));
    }

    #[test]
    fn starting_on_a_weekend_and_zero_durations() {
        let utc = business("UTC");
        check_add(&[
            (&utc, "2026-06-06T12:00Z", SEC, "2026-06-08T00:00:01Z"),
            (&utc, "2026-06-07T23:59:59Z", 24 * H, "2026-06-09T00:00Z"),
            // Zero is zero, even on a weekend.
            (&utc, "2026-06-06T12:00Z", 0, "2026-06-06T12:00Z"),
            (&utc, "2026-06-05T12:00Z", 0, "2026-06-05T12:00Z"),
        ]);
        assert_eq!(
            utc.elapsed(ts("2026-06-06T00:00Z"), ts("2026-06-08T00:00Z")),
            Duration::ZERO
        );
        assert_eq!(
            utc.elapsed(ts("2026-06-06T00:00Z"), ts("2026-06-08T00:00:01Z")),
            secs(1)
        );
    }

    #[test]
    fn durations_landing_exactly_at_midnight() {
        let berlin = business("Europe/Berlin");
        check_add(&[
            (
                &berlin,
                "2026-06-05T22:00+02:00",
                2 * H,
                "2026-06-06T00:00+02:00",
            ),
            (
                &berlin,
                "2026-06-04T00:00+02:00",
                48 * H,
                "2026-06-06T00:00+02:00",
            ),
            (
                &berlin,
                "2026-06-01T00:00+02:00",
                24 * H,
                "2026-06-02T00:00+02:00",
            ),
            (
                &berlin,
                "2026-06-06T00:00+02:00",
                24 * H,
                "2026-06-09T00:00+02:00",
            ),
        ]);
    }

    #[test]
    fn multi_week_durations() {
        let utc = business("UTC");
        let berlin = business_with("Europe/Berlin", &[date(2026, 4, 3), date(2026, 4, 6)]);
        check_add(&[
            // 1w is 168 hours of business time: seven business days.
            (&utc, "2026-01-05T00:00Z", 7 * D, "2026-01-14T00:00Z"),
            // 20 business days.
            (&utc, "2026-01-05T00:00Z", 20 * D, "2026-01-31T00:00Z"),
            (&utc, "2026-01-05T09:30Z", 20 * D, "2026-02-02T09:30Z"),
            (&utc, "2026-01-03T09:30Z", 90 * D, "2026-05-09T00:00Z"),
            // Across a clock change (a Sunday) and Easter holidays.
            (
                &berlin,
                "2026-03-16T10:00+01:00",
                20 * D,
                "2026-04-15T10:00+02:00",
            ),
            (
                &berlin,
                "2026-03-16T00:00+01:00",
                90 * D,
                "2026-07-22T00:00+02:00",
            ),
        ]);
    }

    #[test]
    fn midnight_gaps_and_folds() {
        // Santiago ends DST at midnight Saturday/Sunday (00:00 back to 23:00)
        // and starts it at midnight (00:00 to 01:00); Apia skipped
        // 2011-12-30 entirely.
        let santiago = business("America/Santiago");
        let apia = business("Pacific/Apia");
        check_add(&[
            (
                &santiago,
                "2026-04-03T12:00-03:00",
                12 * H + SEC,
                "2026-04-06T00:00:01-04:00",
            ),
            (
                &santiago,
                "2026-09-04T12:00-04:00",
                12 * H + SEC,
                "2026-09-07T00:00:01-03:00",
            ),
            (
                &apia,
                "2011-12-29T12:00-10:00",
                12 * H + SEC,
                "2012-01-02T00:00:01+14:00",
            ),
        ]);
        let plain = Calendar::new("America/Santiago", false, &[]).unwrap();
        assert_eq!(
            plain.elapsed(ts("2026-04-04T00:00-03:00"), ts("2026-04-05T00:00-04:00")),
            secs(25 * H)
        );
    }

    #[test]
    fn add_and_elapsed_round_trip() {
        let calendars = [
            business("UTC"),
            business("Europe/Berlin"),
            business("America/New_York"),
            business("Asia/Kolkata"),
            business("Asia/Kathmandu"),
            business("Africa/Cairo"),
            business("America/Santiago"),
            business_with(
                "Europe/Berlin",
                &[date(2026, 3, 30), date(2026, 10, 26), date(2026, 10, 27)],
            ),
            Calendar::new("America/New_York", false, &[]).unwrap(),
        ];
        let durations = [
            0,
            1,
            59 * MIN,
            H,
            23 * H,
            24 * H,
            25 * H,
            72 * H,
            5 * D,
            7 * D + 3 * H + 5,
            14 * D,
            90 * D,
        ];
        // Starts every 7 hours and 13 minutes around the 2026 spring and
        // autumn clock changes (and Cairo's, in late April and October).
        for calendar in &calendars {
            for season in [
                ts("2026-03-20T00:00Z"),
                ts("2026-04-18T00:00Z"),
                ts("2026-10-20T00:00Z"),
            ] {
                for step in 0..60 {
                    let start = season
                        .checked_add(jiff::SignedDuration::from_secs(
                            step * (7 * 3_600 + 13 * 60),
                        ))
                        .unwrap();
                    for &d in &durations {
                        let end = calendar.add(start, secs(d));
                        let context = format!(
                            "{:?} {start} + {d}s = {end}",
                            calendar.timezone().iana_name()
                        );
                        assert!(end >= start, "{context}");
                        assert_eq!(calendar.elapsed(start, end), secs(d), "{context}");
                        assert_eq!(
                            slow(calendar).add(start, secs(d)),
                            end,
                            "{context}: day by day"
                        );
                        if d > 0 {
                            // `add` gives the earliest such instant.
                            let before = end
                                .checked_sub(jiff::SignedDuration::from_nanos(1))
                                .unwrap();
                            assert!(
                                calendar.elapsed(start, before) < secs(d),
                                "{context}: not earliest"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_durations_skip_whole_weeks() {
        let berlin = business_with("Europe/Berlin", &[date(2027, 12, 24), date(2030, 1, 1)]);
        let start = ts("2026-03-16T10:00+01:00");
        for years in [1, 3, 5] {
            let d = secs(years * 365 * D);
            let end = berlin.add(start, d);
            assert_eq!(end, slow(&berlin).add(start, d), "{years} years");
            assert_eq!(berlin.elapsed(start, end), d, "{years} years");
            assert_eq!(
                slow(&berlin).elapsed(start, end),
                d,
                "{years} years, day by day"
            );
        }
        // Thousands of years: fast, and no overflow.
        let end = berlin.add(start, secs(5_000 * 365 * D));
        assert!(end > start);
        let utc = business("UTC");
        let d = utc.elapsed(Timestamp::MIN, Timestamp::MAX);
        let total = Timestamp::MIN.duration_until(Timestamp::MAX).as_secs() as f64;
        let ratio = d.as_secs() as f64 / total;
        assert!((ratio - 5.0 / 7.0).abs() < 1e-3, "ratio {ratio}");
    }

    #[test]
    fn week_skipping_stops_before_clock_changes_and_holidays() {
        let berlin = business_with("Europe/Berlin", &[date(2026, 8, 20)]);
        // Monday 2026-06-01: 11 whole weeks until the August holiday.
        let day = berlin.day(date(2026, 6, 1));
        let (after, weeks) = berlin.skip_weeks(&day, 100).unwrap();
        assert_eq!((after.date, weeks), (date(2026, 8, 17), 11));
        assert_eq!(berlin.skip_weeks(&day, 3).unwrap().1, 3);
        assert!(berlin.skip_weeks(&day, 0).is_none());
        // Thursday 2026-10-15: the clock change on the 25th allows one week.
        let day = berlin.day(date(2026, 10, 15));
        let (after, weeks) = berlin.skip_weeks(&day, 100).unwrap();
        assert_eq!((after.date, weeks), (date(2026, 10, 22), 1));
        let day = berlin.day(date(2026, 10, 19));
        assert!(berlin.skip_weeks(&day, 100).is_none());
        // Fixed offsets have no clock changes.
        let kolkata = business("Asia/Kolkata");
        let day = kolkata.day(date(2026, 1, 1));
        assert_eq!(kolkata.skip_weeks(&day, 1_000).unwrap().1, 1_000);
    }

    #[test]
    fn ends_of_time_saturate() {
        let utc = business("UTC");
        let plain = Calendar::new("UTC", false, &[]).unwrap();
        let near_end = Timestamp::MAX
            .checked_sub(jiff::SignedDuration::from_hours(1))
            .unwrap();
        for calendar in [&utc, &plain] {
            assert_eq!(calendar.add(near_end, secs(2 * H)), Timestamp::MAX);
            assert_eq!(
                calendar.add(ts("2026-01-01T00:00Z"), Duration::MAX),
                Timestamp::MAX
            );
            assert_eq!(calendar.add(Timestamp::MIN, secs(0)), Timestamp::MIN);
            let _ = calendar.add(Timestamp::MIN, secs(D));
            let _ = calendar.elapsed(near_end, Timestamp::MAX);
        }
        let berlin = business("Europe/Berlin");
        let _ = berlin.add(Timestamp::MIN, secs(10 * D));
        let _ = berlin.elapsed(
            Timestamp::MIN,
            Timestamp::MIN
                .checked_add(jiff::SignedDuration::from_hours(200))
                .unwrap(),
        );
        let _ = berlin.add(near_end, secs(D));
    }

    #[test]
    fn elapsed_is_zero_when_not_after() {
        for calendar in [
            business("Europe/Berlin"),
            Calendar::new("UTC", false, &[]).unwrap(),
        ] {
            let a = ts("2026-06-03T12:00Z");
            assert_eq!(calendar.elapsed(a, a), Duration::ZERO);
            assert_eq!(calendar.elapsed(a, ts("2026-06-02T12:00Z")), Duration::ZERO);
        }
    }

    #[test]
    fn subsecond_precision_is_kept() {
        let utc = business("UTC");
        let start = ts("2026-06-05T23:59:59.5Z");
        assert_eq!(
            utc.add(start, Duration::from_millis(700)),
            ts("2026-06-08T00:00:00.2Z")
        );
        assert_eq!(
            utc.elapsed(start, ts("2026-06-08T00:00:00.2Z")),
            Duration::from_millis(700)
        );
    }

    #[test]
    fn construction() {
        assert!(
            Calendar::new("Europe/Berln", true, &[])
                .unwrap_err()
                .contains("Europe/Berln")
        );
        let calendar = Calendar::new("europe/berlin", true, &[]).unwrap();
        assert_eq!(calendar.timezone().iana_name(), Some("Europe/Berlin"));

        let mut policy = super::super::config::RepoConfig::default()
            .intents
            .remove(0);
        policy.timezone = "Asia/Kolkata".to_owned();
        policy.business_days = true;
        policy.holidays = vec![date(2026, 6, 8)];
        let calendar = Calendar::from_policy(&policy);
        assert_eq!(calendar.timezone().iana_name(), Some("Asia/Kolkata"));
        assert!(!calendar.is_business_day(date(2026, 6, 8)));
        policy.timezone = "Not/AZone".to_owned();
        let calendar = Calendar::from_policy(&policy);
        assert_eq!(calendar.timezone().iana_name(), Some("UTC"));
        assert!(!calendar.is_business_day(date(2026, 6, 8)));
    }
}

#[cfg(test)]
mod hours_tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn nine_to_five() -> DailyHours {
        DailyHours::parse("09:00-17:00").unwrap()
    }

    /// `(calendar, t, expected)`, both in UTC.
    fn check(calendar: &Calendar, hours: DailyHours, cases: &[(&str, &str)]) {
        for &(t, expected) in cases {
            assert_eq!(
                calendar.within_hours(ts(t), hours),
                ts(expected),
                "{t} in {:?}",
                calendar.timezone().iana_name()
            );
        }
    }

    #[test]
    fn hours_parse_and_print() {
        let hours = nine_to_five();
        assert_eq!(hours.start, Time::constant(9, 0, 0, 0));
        assert_eq!(hours.end, Time::constant(17, 0, 0, 0));
        assert_eq!(hours.to_string(), "09:00-17:00");
        assert_eq!(
            DailyHours::parse(" 00:00-23:59 ").unwrap().to_string(),
            "00:00-23:59"
        );
        for bad in [
            "9:00-17:00",
            "09:00",
            "09:00-24:00",
            "09:60-17:00",
            "0900-1700",
            "",
            "aa:bb-cc:dd",
        ] {
            assert!(
                DailyHours::parse(bad).unwrap_err().contains("HH:MM-HH:MM"),
                "{bad}"
            );
        }
        for bad in ["17:00-09:00", "09:00-09:00"] {
            assert!(
                DailyHours::parse(bad)
                    .unwrap_err()
                    .contains("ends before it starts"),
                "{bad}"
            );
        }
        // Stored as its text.
        let json = serde_json::to_string(&hours).unwrap();
        assert_eq!(json, "\"09:00-17:00\"");
        assert_eq!(serde_json::from_str::<DailyHours>(&json).unwrap(), hours);
        assert!(serde_json::from_str::<DailyHours>("\"17:00-09:00\"").is_err());
    }

    #[test]
    fn inside_stays_before_waits_after_moves_to_the_next_day() {
        let utc = Calendar::new("UTC", false, &[]).unwrap();
        check(
            &utc,
            nine_to_five(),
            &[
                ("2026-06-10T12:00:00Z", "2026-06-10T12:00:00Z"),
                ("2026-06-10T09:00:00Z", "2026-06-10T09:00:00Z"),
                ("2026-06-10T03:15:00Z", "2026-06-10T09:00:00Z"),
                // The end is outside: acting resumes the next morning.
                ("2026-06-10T17:00:00Z", "2026-06-11T09:00:00Z"),
                ("2026-06-10T23:59:59Z", "2026-06-11T09:00:00Z"),
                // Without business days, weekends count.
                ("2026-06-13T20:00:00Z", "2026-06-14T09:00:00Z"),
            ],
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // 2026-12-24 is a Thursday, 2026-12-25 a Friday.
        let berlin = Calendar::new(
            "Europe/Berlin",
            true,
            &[date(2026, 12, 24), date(2026, 12, 25)],
        )
        .unwrap();
        check(
            &berlin,
            nine_to_five(),
            &[
                // Wednesday 18:30 CET: Thursday and Friday are holidays, then the weekend.
                ("2026-12-23T17:30:00Z", "2026-12-28T08:00:00Z"),
                // On a holiday, inside the hours: still waits.
                ("2026-12-24T10:00:00Z", "2026-12-28T08:00:00Z"),
                // Friday evening, no holidays: Monday 09:00.
                ("2026-06-12T16:00:00Z", "2026-06-15T07:00:00Z"),
                // Saturday noon.
                ("2026-06-13T10:00:00Z", "2026-06-15T07:00:00Z"),
                // Monday 08:00 CEST.
                ("2026-06-15T06:00:00Z", "2026-06-15T07:00:00Z"),
            ],
        );
    }

    #[test]
    fn daylight_saving_changes() {
        let hours = nine_to_five();
        // Berlin: clocks go forward on Sunday 2026-03-29 and back on Sunday 2026-10-25.
        let berlin = Calendar::new("Europe/Berlin", false, &[]).unwrap();
        check(
            &berlin,
            hours,
            &[
                // Saturday 18:00 CET -> Sunday 09:00 CEST (07:00 UTC).
                ("2026-03-28T17:00:00Z", "2026-03-29T07:00:00Z"),
                // Saturday 18:00 CEST -> Sunday 09:00 CET (08:00 UTC).
                ("2026-10-24T16:00:00Z", "2026-10-25T08:00:00Z"),
                // Sunday 16:30 CET, inside.
                ("2026-10-25T15:30:00Z", "2026-10-25T15:30:00Z"),
            ],
        );
        let business = Calendar::new("Europe/Berlin", true, &[]).unwrap();
        check(
            &business,
            hours,
            &[("2026-03-27T17:00:00Z", "2026-03-30T07:00:00Z")],
        );
        // New York: forward on 2026-03-08, back on 2026-11-01 (Sundays).
        let new_york = Calendar::new("America/New_York", true, &[]).unwrap();
        check(
            &new_york,
            hours,
            &[
                // Friday 18:00 EST -> Monday 09:00 EDT (13:00 UTC).
                ("2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z"),
                // Friday 18:00 EDT -> Monday 09:00 EST (14:00 UTC).
                ("2026-10-30T22:00:00Z", "2026-11-02T14:00:00Z"),
                // Monday 16:59 EST: inside; 17:00: Tuesday.
                ("2026-11-02T21:59:00Z", "2026-11-02T21:59:00Z"),
                ("2026-11-02T22:00:00Z", "2026-11-03T14:00:00Z"),
            ],
        );
        // A start inside the spring gap (02:30 does not exist on 2026-03-08 in New
        // York): the hours begin when the clocks resume, at 03:30 EDT.
        let night = DailyHours::parse("02:30-05:00").unwrap();
        let every_day = Calendar::new("America/New_York", false, &[]).unwrap();
        check(
            &every_day,
            night,
            &[("2026-03-08T05:00:00Z", "2026-03-08T07:30:00Z")],
        );
    }
}
