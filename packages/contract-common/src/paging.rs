//! Page sizes of list queries: `limit` defaults to a per-list default and is capped by a
//! per-list maximum (cw-plus style `DEFAULT_LIMIT` / `MAX_LIMIT`).

/// Default and maximum page size of one list query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimits {
    pub default: u32,
    pub max: u32,
}

impl PageLimits {
    pub const fn new(default: u32, max: u32) -> Self {
        PageLimits { default, max }
    }

    /// Number of entries to read for a requested `limit`.
    pub fn page(&self, limit: Option<u32>) -> usize {
        page_limit(limit, self.default, self.max)
    }

    /// The maximum page, as a number of entries.
    pub fn max_page(&self) -> usize {
        to_usize(self.max)
    }
}

/// `limit` (or `default` when absent), capped at `max`, as a number of entries.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> usize {
    to_usize(limit.unwrap_or(default).min(max))
}

fn to_usize(n: u32) -> usize {
    // u32 fits usize on every target a contract runs on (wasm32, 64-bit hosts).
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PageLimits = PageLimits::new(10, 30);

    #[test]
    fn default_when_absent_capped_at_max() {
        assert_eq!(LIMITS.page(None), 10);
        assert_eq!(LIMITS.page(Some(0)), 0);
        assert_eq!(LIMITS.page(Some(29)), 29);
        assert_eq!(LIMITS.page(Some(30)), 30);
        assert_eq!(LIMITS.page(Some(31)), 30);
        assert_eq!(LIMITS.page(Some(u32::MAX)), 30);
        assert_eq!(LIMITS.max_page(), 30);
        assert_eq!(page_limit(None, 7, 5), 5);
    }
}
