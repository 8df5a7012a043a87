//! Tests of the emulator's parts that need no Python: run with `cargo test`
//! (the example is built with `test = true`).

mod support;

mod double_slash_paths_reach_the_call;
mod answer_only_for_an_incoming_call;
mod reject_reasons_give_result_codes;
mod unanswered_offer_ends_after_15s;
