//! Short human figures: `12.4 MB · 31k allocs · 18%`, shared by inlay hints, messages and the
//! CLI.

use super::query::Measured;

/// `512 B`, `1.5 kB`, `12.4 MB`, `3.0 GB` (powers of 1000, one decimal from kB up).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.95 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `950`, `31k`, `4.2M`.
pub fn count(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else if n < 10_000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else if n < 1_000_000 {
        format!("{}k", (n as f64 / 1000.0).round() as u64)
    } else {
        format!("{:.1}M", n as f64 / 1_000_000.0)
    }
}

/// `18%`, `0.4%`, `<0.1%`.
pub fn share(s: f64) -> String {
    let pct = s * 100.0;
    if pct > 0.0 && pct < 0.1 {
        "<0.1%".to_owned()
    } else if pct < 10.0 {
        format!("{pct:.1}%")
    } else {
        format!("{}%", pct.round() as u64)
    }
}

/// `12.4 MB · 31k allocs · 18%` for the figures at a site (self) or through it (inclusive).
pub fn label(m: &Measured, inclusive: bool) -> String {
    let (b, k, s) = if inclusive {
        (m.bytes, m.blocks, m.share)
    } else {
        (m.self_bytes, m.self_blocks, m.self_share)
    };
    let mut out = bytes(b);
    if k > 0 {
        out.push_str(" · ");
        out.push_str(&count(k));
        out.push(' ');
        out.push_str(m.measure.blocks_unit());
    }
    out.push_str(" · ");
    out.push_str(&share(s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Granularity, Measure};

    #[test]
    fn figures() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1500), "1.5 kB");
        assert_eq!(bytes(12_400_000), "12.4 MB");
        assert_eq!(bytes(999_999), "1.0 MB");
        assert_eq!(count(31_234), "31k");
        assert_eq!(count(4_200), "4.2k");
        assert_eq!(count(4_200_000), "4.2M");
        assert_eq!(share(0.18), "18%");
        assert_eq!(share(0.004), "0.4%");
        assert_eq!(share(0.0001), "<0.1%");
        let m = Measured {
            bytes: 20_000_000,
            blocks: 40_000,
            self_bytes: 12_400_000,
            self_blocks: 31_000,
            share: 0.3,
            self_share: 0.18,
            measure: Measure::Allocated,
            granularity: Granularity::Line,
            stale: false,
        };
        assert_eq!(label(&m, false), "12.4 MB · 31k allocs · 18%");
        assert_eq!(label(&m, true), "20.0 MB · 40k allocs · 30%");
    }
}
