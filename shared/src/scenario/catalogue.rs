//! The seven guided scenarios, each a story the texts tell about eventual
//! consistency, told with the lab's six regions.
//!
//! Times are simulated milliseconds since the room started. A one-way trip
//! between continents takes about one to two seconds here (see
//! [`crate::region`]), so steps are spaced a few seconds apart: far enough
//! for the messages of one step to land before the next, so each step can
//! be watched on its own. Every promise is checked over many seeds in
//! `tests.rs`.

use super::{Action, Promise, Scenario, Step};
use crate::region::RegionId;
use crate::strategy::StrategyConfig;

const TOKYO: RegionId = RegionId::TOKYO;
const SYDNEY: RegionId = RegionId::SYDNEY;
const MUMBAI: RegionId = RegionId::MUMBAI;
const FRANKFURT: RegionId = RegionId::FRANKFURT;
const VIRGINIA: RegionId = RegionId::VIRGINIA;
const SAO_PAULO: RegionId = RegionId::SAO_PAULO;

/// The side of the Pacific and Indian oceans, when the cables to Europe and
/// the Americas are cut.
const ASIA_PACIFIC: &[RegionId] = &[TOKYO, SYDNEY, MUMBAI];

/// Event push with anti-entropy: the lab's default, and the strategy most
/// eventually consistent stores use in some form.
const PUSH: StrategyConfig = StrategyConfig::EventPush { anti_entropy_ms: Some(4_000), retry_ms: None, dedupe: true };

/// Event push that re-sends each like until every peer acknowledges it:
/// a region back from a cut hears what it missed within one retry round.
const PUSH_RETRY: StrategyConfig =
    StrategyConfig::EventPush { anti_entropy_ms: Some(4_000), retry_ms: Some(4_000), dedupe: true };

const fn likes(region: RegionId, n: u32) -> Action {
    Action::Likes { region, n }
}

pub static CATALOGUE: [Scenario; 7] = [
    Scenario {
        id: "same_moment",
        title: "Japan and America like at once",
        short: "Japan and America at once",
        caption: "A reader in Tokyo and one in Virginia press like in the same instant while Frankfurt only reads. \
                  Watch each of them see their own like at once, Frankfurt go to 1 and then 2 as the two messages \
                  land, and every region agree on 2 with neither like lost.",
        strategy: PUSH,
        durable: true,
        steps: &[
            Step { at: 1_000, action: likes(TOKYO, 1), says: "A reader in Tokyo likes the post" },
            Step { at: 1_000, action: likes(VIRGINIA, 1), says: "At the same instant, so does a reader in Virginia" },
            Step { at: 1_500, action: Action::Watch, says: "Both likes are on their way to Frankfurt" },
            Step { at: 4_000, action: Action::Watch, says: "Frankfurt has heard both: every region shows 2" },
        ],
        promise: Promise { every_region: 2, lost: 0, refused: 0 },
    },
    Scenario {
        id: "celebrity",
        title: "A celebrity post",
        short: "Celebrity post",
        caption: "A famous account posts and likes pour in from all six regions at once: 72 within one \
                  second. Watch the counts run ahead of each other while hundreds of messages cross, then catch up \
                  and stop, all of them, at exactly 72.",
        strategy: PUSH,
        durable: true,
        steps: &[
            Step { at: 500, action: Action::Burst { n: 3 }, says: "The post goes up: 3 likes in every region" },
            Step { at: 1_000, action: Action::Burst { n: 4 }, says: "4 more in every region" },
            Step { at: 1_500, action: Action::Burst { n: 5 }, says: "5 more in every region" },
            Step { at: 2_500, action: Action::Watch, says: "The last likes are still crossing the oceans" },
        ],
        promise: Promise { every_region: 72, lost: 0, refused: 0 },
    },
    Scenario {
        id: "cable_cut",
        title: "The ocean cable is cut",
        short: "Ocean cable cut",
        caption: "The cables under the oceans break and split the world in two, and people like the post on both \
                  sides. Watch each half count only its own likes, 3 against 2, and then, once the cables are \
                  repaired, the regions trade what they missed until all of them show 5.",
        strategy: PUSH,
        durable: true,
        steps: &[
            Step {
                at: 500,
                action: Action::Split(ASIA_PACIFIC),
                says: "The cables break: Tokyo, Sydney and Mumbai lose Europe and the Americas",
            },
            Step { at: 1_500, action: likes(TOKYO, 2), says: "Two likes in Tokyo" },
            Step { at: 2_000, action: likes(SYDNEY, 1), says: "One like in Sydney" },
            Step { at: 2_500, action: likes(VIRGINIA, 2), says: "Two likes in Virginia" },
            Step {
                at: 6_000,
                action: Action::Watch,
                says: "Each half agrees with itself: 3 in the east, 2 in the west",
            },
            Step { at: 8_000, action: Action::HealAll, says: "The cables are repaired" },
            Step { at: 12_500, action: Action::Watch, says: "Anti-entropy rounds carry the missing likes across" },
        ],
        promise: Promise { every_region: 5, lost: 0, refused: 0 },
    },
    Scenario {
        id: "region_down",
        title: "A region goes down",
        short: "A region goes down",
        caption: "Mumbai, cut off from the world, takes likes nobody else has heard of and then crashes, twice. \
                  Watch the first crash lose nothing because Mumbai keeps a log on disk, and the second, with the \
                  log switched off, destroy a like for good: every region ends on 2 of the 3.",
        strategy: PUSH_RETRY,
        durable: true,
        steps: &[
            Step { at: 500, action: Action::Isolate(MUMBAI), says: "Mumbai is cut off from every region" },
            Step { at: 1_000, action: likes(MUMBAI, 2), says: "Two likes in Mumbai, which only Mumbai holds" },
            Step { at: 2_000, action: Action::Crash(MUMBAI), says: "Mumbai crashes, its log safe on disk" },
            Step { at: 3_500, action: Action::Restart(MUMBAI), says: "Mumbai restarts and reads its 2 likes back" },
            Step { at: 4_000, action: Action::HealAll, says: "Mumbai is reconnected: its likes spread" },
            Step { at: 10_000, action: Action::Watch, says: "Every region holds Mumbai's 2 likes" },
            Step { at: 11_000, action: Action::Durable(false), says: "Now no region keeps a log" },
            Step { at: 11_500, action: Action::Isolate(MUMBAI), says: "Mumbai is cut off again" },
            Step { at: 12_000, action: likes(MUMBAI, 1), says: "One more like in Mumbai" },
            Step { at: 13_000, action: Action::Crash(MUMBAI), says: "Mumbai crashes with nothing on disk" },
            Step { at: 14_500, action: Action::Restart(MUMBAI), says: "Mumbai restarts with what the others hold: 2" },
            Step {
                at: 15_000,
                action: Action::HealAll,
                says: "Mumbai is reconnected: its third like is gone for good",
            },
        ],
        promise: Promise { every_region: 2, lost: 1, refused: 0 },
    },
    Scenario {
        id: "nightly_batch",
        title: "The nightly batch",
        short: "Nightly batch",
        caption: "Likes wait on a queue in their region, and a batch job in Virginia writes them to the database \
                  only every 30 seconds, so how long do you want this to take? Watch four likes sit unseen, even in \
                  the region that took them, until the second run of the job publishes 4 to every region.",
        strategy: StrategyConfig::QueueBatch { batch_ms: 30_000, writer: VIRGINIA },
        durable: true,
        steps: &[
            Step { at: 1_000, action: likes(TOKYO, 1), says: "A like in Tokyo goes on Tokyo's queue" },
            Step { at: 2_000, action: likes(FRANKFURT, 2), says: "Two likes in Frankfurt, queued" },
            Step { at: 3_000, action: likes(SAO_PAULO, 1), says: "One in São Paulo, queued: every count still 0" },
            Step { at: 30_000, action: Action::Watch, says: "The job's first run: the queues ship to Virginia" },
            Step { at: 60_000, action: Action::Watch, says: "The second run commits them and publishes 4" },
        ],
        promise: Promise { every_region: 4, lost: 0, refused: 0 },
    },
    Scenario {
        id: "money",
        title: "Money needs strong consistency",
        short: "Money needs consistency",
        caption: "For money a count must never be lost or made up, so Virginia alone keeps it and every other \
                  region must ask Virginia first. Watch Tokyo and Sydney, cut off by broken cables, refuse \
                  payments rather than take them, so no region ever shows a total Virginia has not confirmed.",
        strategy: StrategyConfig::SingleWriter { leader: VIRGINIA, timeout_ms: 2_000 },
        durable: true,
        steps: &[
            Step {
                at: 500,
                action: Action::Split(ASIA_PACIFIC),
                says: "The cables break: Tokyo, Sydney and Mumbai lose Virginia",
            },
            Step { at: 1_500, action: likes(VIRGINIA, 1), says: "A payment in Virginia: the leader takes it" },
            Step { at: 2_000, action: likes(FRANKFURT, 1), says: "One in Frankfurt, confirmed by Virginia" },
            Step {
                at: 5_000,
                action: likes(TOKYO, 2),
                says: "Two in Tokyo: no word from Virginia for 2 s, so refused",
            },
            Step { at: 5_500, action: likes(SYDNEY, 1), says: "One in Sydney: refused too" },
            Step { at: 7_000, action: Action::HealAll, says: "The cables are repaired: Virginia's 2 reaches everyone" },
        ],
        promise: Promise { every_region: 2, lost: 0, refused: 3 },
    },
    Scenario {
        id: "skewed_clock",
        title: "A skewed clock eats a like",
        short: "Skewed clock",
        caption: "Under last writer wins each region keeps the total with the latest timestamp, and here Tokyo's \
                  clock runs 3 seconds fast while Frankfurt's runs 3 seconds slow. Watch Frankfurt's like, made \
                  after Tokyo's, carry an older timestamp and be overwritten everywhere, so the count ends at 1 \
                  although two people liked.",
        strategy: StrategyConfig::LastWriterWins { resend_ms: Some(4_000), skew_ms: 3_000 },
        durable: true,
        steps: &[
            Step { at: 1_000, action: likes(TOKYO, 1), says: "Tokyo likes; its fast clock stamps it 3 s late" },
            Step {
                at: 1_500,
                action: likes(FRANKFURT, 1),
                says: "Frankfurt likes half a second later; its slow clock stamps it 3 s early",
            },
            Step { at: 4_000, action: Action::Watch, says: "Tokyo's stamp is the latest: its total of 1 wins" },
        ],
        promise: Promise { every_region: 1, lost: 1, refused: 0 },
    },
];
