//! A call's end is the engine's, not what reached the bot: with a fault
//! rule that drops (or holds back) call-state notifications, a deleted call
//! is still ended for Graph (404) and for the emulator (terminated, and
//! counted among the ended calls it may forget).

use super::support::*;

#[test]
fn a_deleted_call_ends_though_its_terminated_notification_is_dropped() {
    for fault in ["drop", "reorder"] {
        let mut w = world(&["--bot-callback", BOT, "--seed", "3"]);
        let at = established(&mut w, 0, "f1");
        let rule = format!(
            r#"{{"notifications":"{fault}","kind":"callState","times":"all","call":"f1"}}"#
        );
        let reply = control(&mut w, at, "POST", "/emulator/faults", &rule);
        assert_eq!(reply.status, 202, "{}", reply.body);
        let reply = graph(
            &mut w,
            at + 10,
            "DELETE",
            "/v1.0/communications/calls/f1",
            "",
        );
        assert_eq!(reply.status, 204, "{fault}: {}", reply.body);
        assert_eq!(
            call_state(&mut w, at + 20, "f1"),
            "404",
            "{fault}: Graph sees the end"
        );
        let state = emulator_state(&mut w, at + 20, "f1");
        assert_eq!(state["state"], "terminated", "{fault}: {state}");
        let reply = control(
            &mut w,
            at + 30,
            "POST",
            "/emulator/calls/f1/events",
            r#"{"event":"tone","tone":"1"}"#,
        );
        assert_eq!(reply.status, 409, "{fault}: no caller on an ended call");
    }
}
