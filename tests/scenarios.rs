//! One test per scenario in `tests/scenarios/`: each file is `ivr-replay`
//! input with its expected output inline (`//>` lines, see
//! `tests/common/mod.rs`), named for the rule of ENGINE.md it shows.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

mod common;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                common::check_scenario(stringify!($name));
            }
        )*

        /// Every file in tests/scenarios has a test above.
        #[test]
        fn every_scenario_file_is_listed() {
            let listed = [$(stringify!($name)),*];
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
            for entry in std::fs::read_dir(dir).expect("tests/scenarios exists") {
                let path = entry.expect("readable entry").path();
                let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
                assert!(listed.contains(&name.as_str()), "tests/scenarios/{name}.jsonl is not listed in tests/scenarios.rs");
            }
        }
    };
}

scenarios! {
    bodies_parse_with_or_without_odata_type,
    call_established_twice_is_ignored,
    cancel_ends_active_then_queued_in_fifo_order,
    cancel_keeps_tone_subscription,
    cancel_with_empty_queue_succeeds_silently,
    delete_call_terminates_with_5001,
    ext_cancel_receipt_names_what_ended,
    ext_cancel_scopes_end_only_what_they_name,
    ext_collect_digits_ends_on_terminator_max_or_timeout,
    ext_collect_digits_queues_plays_and_cancels_like_media,
    ext_fault_delay_lets_later_notifications_overtake,
    ext_fault_drop_loses_one_notification,
    ext_fault_duplicate_sends_established_twice,
    ext_fault_prompt_download_or_format_fails,
    ext_fault_prompt_plays_twice,
    ext_fault_reorder_swaps_with_the_next_notification,
    ext_fault_request_answers_500_9999,
    ext_inspect_shows_the_queue,
    ext_outcomes_name_reason_and_cause,
    ext_sequence_numbers_order_every_output,
    ext_teardown_flags_partial_recording,
    ext_timed_prompts_end_by_themselves,
    get_operation_reads_current_state,
    hang_up_ends_call_silently_by_default,
    late_media_input_for_ended_operation_is_ignored,
    legacy_resource_field_can_be_dropped,
    not_started_for_queued_option,
    notify_on_termination_reports_8528,
    operation_notifications_carry_odata_annotations,
    paths_versions_and_qualified_actions,
    play_prompt_beta_completion_reason,
    play_prompt_beta_loop_plays_until_cancelled,
    play_prompt_failures_report_and_queue_moves_on,
    play_prompt_loop_ignored_on_v1,
    play_prompt_per_prompt_loop_ignored_on_beta,
    play_prompt_validation_names_field_and_rule,
    play_prompts_play_in_order_then_complete,
    queue_full_is_429,
    queued_operations_start_in_fifo_order,
    record_barge_in_ends_all_and_starts_at_once,
    record_beep_failure_fails_record,
    record_beta_alias_and_v1_refusal,
    record_defaults_beep_and_five_second_timers,
    record_initial_silence_beats_max_duration,
    record_initial_silence_fails,
    record_inputs_act_only_while_recording,
    record_max_duration_beats_max_silence,
    record_max_duration_completes,
    record_max_silence_after_speech_completes,
    record_media_receive_timeout_fails_record,
    record_plays_prompt_then_beep_then_records,
    record_prompt_failure_fails_record,
    record_stop_tone_completes_with_recording,
    record_stop_tone_names_and_case,
    record_store_failure_reported_when_stopped,
    record_validation_names_field_and_rule,
    request_errors_in_graph_order,
    tones_need_subscription_and_sequence_per_call,
    unknown_and_terminated_calls_are_404,
}
