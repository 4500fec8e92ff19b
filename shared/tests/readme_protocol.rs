//! The README's protocol table is documentation people copy from: every
//! client → server example in it must be a message the server accepts.

use shared::protocol::parse_client_message;

#[test]
fn every_client_message_in_the_readme_table_parses() {
    let readme = include_str!("../../README.md");
    let examples: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("| client → server | `")).filter_map(|l| l.split('`').nth(1)).collect();
    assert!(examples.len() >= 7, "the table lists the client messages: {examples:?}");
    assert!(examples.iter().any(|e| e.contains("super_like")), "the super like is documented");
    assert!(examples.iter().any(|e| e.contains("set_payouts")), "the payouts switch is documented");
    for example in examples {
        assert!(parse_client_message(example).is_ok(), "{example}: {:?}", parse_client_message(example));
    }
}
