//! A generated call id is never one a call already holds: an offer may
//! have taken the id the seed gives next.

use super::support::*;

#[test]
fn an_outgoing_call_never_takes_an_offered_calls_id() {
    let create = |w: &mut crate::world::World, now| {
        let reply = graph(
            w,
            now,
            "POST",
            "/v1.0/communications/calls",
            &create_body(APP),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        json_of(&reply)["id"].as_str().expect("an id").to_owned()
    };
    // The id the seed gives first, as a fresh emulator hands it out.
    let first = create(&mut world(&["--seed", "9"]), 0);

    let mut w = world(&["--bot-callback", BOT, "--seed", "9"]);
    offer(&mut w, 0, &first);
    let second = create(&mut w, 10);
    assert_ne!(second, first, "the seed's first id is in use");
    let offered = emulator_state(&mut w, 20, &first);
    assert_eq!(
        offered["direction"], "incoming",
        "the offered call is intact: {offered}"
    );
    assert_eq!(offered["state"], "incoming");
}
