//! Any Retry-After value at any time: a wait or nothing, never a panic or an overflow; and every
//! valid IMF-fixdate lands on the day a naive count of days gives.
#![no_main]
use entra_edge::response::{http_date_ms, retry_after_ms};
use libfuzzer_sys::fuzz_target;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn leap(y: u64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn naive_days(y: u64, m: usize, d: u64) -> u64 {
    let month_days = [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let years: u64 = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum();
    years + month_days[..m].iter().sum::<u64>() + d - 1
}

fuzz_target!(|input: (&str, u64, (u16, u8, u8, u8, u8, u8))| {
    let (value, now, (y, m, d, h, mi, s)) = input;
    let _ = retry_after_ms(value, now);
    let (y, m, d) = (1970 + u64::from(y) % 8030, usize::from(m) % 12, 1 + u64::from(d) % 28);
    let (h, mi, s) = (u64::from(h) % 24, u64::from(mi) % 60, u64::from(s) % 60);
    let date = format!("Mon, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT", MONTHS[m]);
    let expected = ((naive_days(y, m, d) * 86_400) + h * 3600 + mi * 60 + s) * 1000;
    assert_eq!(http_date_ms(&date), Some(expected), "{date}");
});
