//! [`Harness::check`]: many callers, and the first that fails shrunk.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::replay::ReplayRecord;

use super::caller::Caller;
use super::harness::{Bot, Failure, Harness, Observation};

/// A check that found nothing: how many callers it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Callers run.
    pub cases: u32,
}

impl Harness {
    /// Runs a fresh bot and property against [`Harness::cases`] callers
    /// drawn from `callers`. When one fails, proptest shrinks it to the
    /// simplest caller that still fails, and the [`Failure`] is that
    /// caller's run: its report ends in the `ivr-replay` scenario.
    ///
    /// The search is seeded by [`Harness::seed`]: the same seed, cases,
    /// bot and property try the same callers and find the same failure.
    /// proptest's other settings come from its environment variables
    /// (`PROPTEST_MAX_SHRINK_ITERS`, ...). Nothing is written to disk.
    pub fn check<S, B, P>(
        &self,
        callers: S,
        new_bot: impl Fn() -> B,
        new_property: impl Fn() -> P,
    ) -> Result<Checked, Failure>
    where
        S: Strategy<Value = Caller>,
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        let config = Config {
            cases: self.cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let runs = std::cell::Cell::new(0u32);
        let outcome = runner.run(&callers, |caller| {
            runs.set(runs.get() + 1);
            self.run(&caller, &mut new_bot(), &mut new_property())
                .map(drop)
                .map_err(|failure| TestCaseError::fail(failure.message))
        });
        match outcome {
            Ok(()) => Ok(Checked { cases: runs.get() }),
            // The run is deterministic, so the shrunk caller fails again,
            // this time with its whole report.
            Err(TestError::Fail(reason, caller)) => {
                // Caught, as the runner caught it: a bot or property
                // factory may panic too.
                let rerun = catch_unwind(AssertUnwindSafe(|| {
                    self.run(&caller, &mut new_bot(), &mut new_property())
                }));
                match rerun {
                    Ok(Err(failure)) => Err(failure),
                    Err(_) => Err(self.no_run(
                        format!("{reason} (a panic outside the bot and property)"),
                        caller,
                    )),
                    Ok(Ok(transcript)) => Err(Failure {
                        message: format!(
                            "{reason} (the bot or property does not fail the \
                             same way twice: does it read a clock or a random \
                             number?)"
                        ),
                        at: transcript
                            .records
                            .last()
                            .map_or(crate::Instant::ZERO, ReplayRecord::at),
                        step: 0,
                        caller,
                        records: transcript.records,
                        scenario: transcript.scenario,
                        seed: self.seed,
                    }),
                }
            }
            Err(TestError::Abort(reason)) => {
                Err(self.no_run(format!("proptest gave up: {reason}"), Caller::default()))
            }
        }
    }

    /// A failure with no run to show: step 0, no records, no scenario.
    fn no_run(&self, message: String, caller: Caller) -> Failure {
        Failure {
            message,
            at: crate::Instant::ZERO,
            step: 0,
            caller,
            records: Vec::new(),
            scenario: String::new(),
            seed: self.seed,
        }
    }
}
