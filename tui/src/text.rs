//! Short texts for figures, shared by the views and the problems list.

use chrono::Duration;

/// A short duration: `350ms`, `4.2s`, `37s`, `12m`, `3h05m`, `2d4h`.
pub fn age_text(d: Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        10_000..60_000 => format!("{}s", ms / 1000),
        60_000..3_600_000 => format!("{}m", ms / 60_000),
        3_600_000..86_400_000 => format!("{}h{:02}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
        _ => format!("{}d{}h", ms / 86_400_000, ms % 86_400_000 / 3_600_000),
    }
}
