//! Running independent MLflow requests side by side. Each request costs 10–50 ms of server
//! time and a task makes about fifty of them, so overlapping the ones that do not depend on each
//! other is most of a reference run's speed.

use crate::reference::RunError;

/// One independent MLflow request (or a few in a row).
pub(super) type Job<'a> = Box<dyn FnOnce() -> Result<(), RunError> + Send + 'a>;

/// Runs the jobs on scoped threads; all of them run to the end, and the first error in job
/// order is returned.
pub(super) fn parallel(jobs: Vec<Job<'_>>) -> Result<(), RunError> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        // Join every thread before looking at the results, so no job is still running when an
        // error is returned.
        let results: Vec<Result<(), RunError>> = handles.into_iter().map(join).collect();
        results.into_iter().collect()
    })
}

/// `a` on a scoped thread and `b` on this one; both results.
pub(super) fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let handle = s.spawn(a);
        let b = b();
        (join(handle), b)
    })
}

/// A scoped thread's result; a panic in it continues in the caller (it is a bug, not an error).
pub(super) fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn failing(step: &str) -> Job<'static> {
        let step = step.to_owned();
        Box::new(move || Err(RunError::Spec(step)))
    }

    #[test]
    fn parallel_runs_every_job_and_reports_the_first_error_in_job_order() {
        let ran = AtomicUsize::new(0);
        let counted = || -> Job<'_> {
            Box::new(|| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        };
        let jobs = vec![
            counted(),
            // The later job fails first in time; the earlier one must still be the one reported.
            Box::new(|| {
                std::thread::sleep(std::time::Duration::from_millis(30));
                Err(RunError::Spec("first".into()))
            }) as Job<'_>,
            failing("second"),
            counted(),
        ];
        let err = parallel(jobs).unwrap_err();
        assert!(matches!(&err, RunError::Spec(s) if s == "first"), "{err}");
        assert_eq!(
            ran.load(Ordering::SeqCst),
            2,
            "jobs after a failure still run"
        );
    }

    #[test]
    fn parallel_of_nothing_is_ok() {
        assert!(parallel(Vec::new()).is_ok());
    }

    #[test]
    fn both_returns_each_side_in_argument_order() {
        let (a, b) = both(|| "thread", || "caller");
        assert_eq!((a, b), ("thread", "caller"));
    }

    #[test]
    #[should_panic(expected = "a bug")]
    fn a_panic_in_a_job_reaches_the_caller() {
        let _ = parallel(vec![Box::new(|| panic!("a bug"))]);
    }
}
