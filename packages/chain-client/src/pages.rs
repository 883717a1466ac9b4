//! Cursor-paginated list queries: one loop that follows `next` until the contract says there
//! is no more.

use std::future::Future;

use crate::ChainError;

/// Page size asked of paginated queries (the contracts' maximum).
pub const PAGE: u32 = 100;

/// Upper bound on pages read in one pass (100 × 1000 = 100k records).
pub const MAX_PAGES: usize = 1_000;

/// Collects every page of a list query: `page(start_after)` fetches the page after the cursor
/// and returns its records and the next cursor. Stops when there is no next cursor or it does
/// not move (a contract bug must not loop forever); more than `max_pages` pages is
/// [`ChainError::TooManyPages`].
pub async fn all_pages<C, T, F, Fut>(
    what: &'static str,
    max_pages: usize,
    mut page: F,
) -> Result<Vec<T>, ChainError>
where
    C: PartialEq + Clone,
    F: FnMut(Option<C>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<C>), ChainError>>,
{
    let mut out = Vec::new();
    let mut start_after: Option<C> = None;
    for _ in 0..max_pages {
        let (records, next) = page(start_after.clone()).await?;
        out.extend(records);
        match next {
            Some(n) if Some(&n) != start_after.as_ref() => start_after = Some(n),
            _ => return Ok(out),
        }
    }
    Err(ChainError::TooManyPages {
        query: what,
        pages: max_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of `size` over `0..total`, the cursor being the last number of a page.
    async fn numbers(total: u32, size: u32, max_pages: usize) -> Result<Vec<u32>, ChainError> {
        all_pages("numbers", max_pages, |after: Option<u32>| async move {
            let from = after.map_or(0, |a| a + 1);
            let page: Vec<u32> = (from..total).take(size as usize).collect();
            let next = if from + size < total {
                page.last().copied()
            } else {
                None
            };
            Ok((page, next))
        })
        .await
    }

    #[tokio::test]
    async fn follows_the_cursor_to_the_end() {
        assert_eq!(numbers(7, 3, 10).await.unwrap(), (0..7).collect::<Vec<_>>());
        assert_eq!(numbers(0, 3, 10).await.unwrap(), Vec::<u32>::new());
    }

    #[tokio::test]
    async fn too_many_pages_and_a_stuck_cursor_end_the_loop() {
        assert!(matches!(
            numbers(10, 1, 3).await,
            Err(ChainError::TooManyPages {
                query: "numbers",
                pages: 3
            })
        ));
        let stuck = all_pages("stuck", 10, |_: Option<u8>| async {
            Ok((vec![1], Some(5u8)))
        })
        .await
        .unwrap();
        assert_eq!(stuck, vec![1, 1]);
    }
}
