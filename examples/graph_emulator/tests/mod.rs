//! Tests of the emulator's parts that need no Python: run with `cargo test`
//! (the example is built with `test = true`). One behaviour a file, named
//! for it. Most drive the sans-IO `World` with `now`; the delivery tests
//! serve the emulator in-process on loopback with a callback receiver, on
//! a fast virtual clock, and never assert wall-clock durations.

mod support;

// The Graph surface: routing, call control, media through the wire.
mod a_call_ends_whatever_faults_do_to_its_notifications;
mod answer_only_for_an_incoming_call;
mod app_hosted_media_is_refused;
mod call_notifications_encode_the_call_id;
mod call_state_through_its_life;
mod callback_uri_is_required;
mod delete_before_establishment_ends_the_call;
mod double_slash_paths_reach_the_call;
mod generated_call_ids_skip_ids_in_use;
mod media_actions_answer_as_replay;
mod oversized_body_is_413;
mod reject_reasons_give_result_codes;
mod unanswered_offer_ends_after_15s;

// The control surface.
mod caller_event_needs_an_event;
mod caller_events_reach_the_call;
mod control_errors_name_the_field;

// Delivery (real sockets on loopback) and the outbox.
mod dead_callback_drops_after_five_attempts;
mod delivery_retries_then_keeps_order;
mod outbox_bound_drops_and_counts;
mod silent_bot_holds_up_only_its_call;

// The clock and the command line.
mod clock_counts_whole_ms_at_its_speed;
mod clock_reads_whole_ms_boundaries_exactly;
mod clock_wall_inverts_at;
mod options_are_checked;

// The export.
mod export_replays_to_the_log;
