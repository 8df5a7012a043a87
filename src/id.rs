//! Call ids, operation ids and where operation ids come from.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use uuid::Uuid;

use crate::error::InvalidCallId;

/// The longest call id, in bytes. Graph's are GUIDs (36 bytes); the bound
/// keeps a hostile URL or snapshot from making one call key megabytes long.
pub const MAX_CALL_ID_BYTES: usize = 256;

/// The id of a call, as it appears in `/communications/calls/{id}`.
///
/// Graph ids are case-insensitive, so the id is kept in lowercase: `C1` and
/// `c1` name the same call, and every URL the engine writes uses lowercase.
/// Cloning is cheap (a reference count).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(Arc<str>);

impl CallId {
    /// A call id from its text, lowercased.
    pub fn new(id: &str) -> Self {
        if id.bytes().any(|b| b.is_ascii_uppercase()) {
            Self(Arc::from(id.to_ascii_lowercase()))
        } else {
            Self(Arc::from(id))
        }
    }

    /// A call id a Graph URL can name, lowercased: 1 to
    /// [`MAX_CALL_ID_BYTES`] bytes, not blank, with no `/` (a path segment
    /// cannot hold one, even percent-encoded) and no control character.
    pub fn parse(id: &str) -> Result<Self, InvalidCallId> {
        // Checked before it is copied: a hostile URL may be megabytes long.
        // Lowercasing changes none of what is checked.
        check_call_id(id)?;
        Ok(Self::new(id))
    }

    /// Whether a URL can name this id (the rule of [`CallId::parse`]). The
    /// engine establishes and restores only such calls.
    pub fn check(&self) -> Result<(), InvalidCallId> {
        check_call_id(self.as_str())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rule of [`CallId::parse`].
fn check_call_id(id: &str) -> Result<(), InvalidCallId> {
    if id.len() > MAX_CALL_ID_BYTES {
        Err(InvalidCallId::TooLong { bytes: id.len() })
    } else if id.trim().is_empty() {
        Err(InvalidCallId::Blank)
    } else if id.contains('/') {
        Err(InvalidCallId::Slash)
    } else if id.chars().any(char::is_control) {
        Err(InvalidCallId::ControlCharacter)
    } else {
        Ok(())
    }
}

impl serde::Serialize for CallId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CallId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Self::new(&text))
    }
}

impl From<&str> for CallId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of an operation: a UUID, written lowercase with dashes.
///
/// Media commands and media inputs carry it as their token, so an input that
/// belongs to an operation that already ended is recognised and ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationId(Uuid);

impl OperationId {
    /// Wraps a UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID.
    pub const fn as_uuid(self) -> Uuid {
        self.0
    }

    /// The id as text (lowercase, with dashes), written into `buffer`: what
    /// `Display` writes, without a `String` or the formatting machinery.
    pub(crate) fn encode<'b>(&self, buffer: &'b mut [u8; 36]) -> &'b str {
        self.0.hyphenated().encode_lower(buffer)
    }
}

impl FromStr for OperationId {
    type Err = uuid::Error;

    /// Parses any form Graph clients write: dashed or not, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self)
    }
}

impl fmt::Debug for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Width and precision are ignored, as uuid's own `Display` does.
        f.write_str(self.encode(&mut [0; 36]))
    }
}

/// Where operation ids come from.
///
/// The core has no randomness of its own: the embedder picks the source.
/// `Random` gives v4 UUIDs from the operating system, as the real service
/// does; `Seeded` gives v4-shaped UUIDs from a counter-based generator, so the
/// same inputs and seed always give the same ids (replays, tests).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdSource {
    /// Random v4 UUIDs.
    Random,
    /// Deterministic v4-shaped UUIDs; `state` advances by one step per id.
    Seeded {
        /// The generator position.
        state: u64,
    },
}

impl IdSource {
    /// A deterministic source starting at `seed`.
    pub const fn seeded(seed: u64) -> Self {
        Self::Seeded { state: seed }
    }

    /// The source one call uses: a seeded source is split per call by
    /// mixing in the call id, so each call's ids depend only on the seed and
    /// its own inputs, never on what other calls did. (So a call id used
    /// again, once an engine has forgotten its first call, gets the same
    /// ids again: seeded ids are for tests and replays.)
    pub fn for_call(&self, call: &CallId) -> Self {
        match self {
            Self::Random => Self::Random,
            Self::Seeded { state } => Self::Seeded {
                state: splitmix64(state ^ fnv1a(call.as_str().as_bytes())),
            },
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> OperationId {
        match self {
            Self::Random => OperationId(Uuid::new_v4()),
            Self::Seeded { state } => {
                *state = state.wrapping_add(1);
                let hi = splitmix64(*state);
                let lo = splitmix64(hi ^ *state);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&hi.to_be_bytes());
                bytes[8..].copy_from_slice(&lo.to_be_bytes());
                OperationId(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
        }
    }
}

impl IdSource {
    /// Whether a later [`IdSource::next_id`] (within the next 2^63 ids)
    /// gives `id`: for a seeded source, whether `id` is the id of a
    /// position ahead of its own (a snapshot that holds such an id would
    /// see it given to a second operation). Never for a random source,
    /// where that would take two v4 UUIDs to clash.
    pub(crate) fn gives_later(&self, id: OperationId) -> bool {
        let Self::Seeded { state } = self else {
            return false;
        };
        seeded_positions(id).any(|at| at.wrapping_sub(*state).wrapping_sub(1) < 1 << 63)
    }
}

/// The generator positions at which a seeded source gives `id` (none for
/// an id it never gives). The UUID's version and variant bits replaced six
/// bits of the generator's output, so the candidates for the lost bits are
/// tried and each checked against the rest of the id.
fn seeded_positions(id: OperationId) -> impl Iterator<Item = u64> {
    // Byte 6's high nibble (the version) and byte 8's top two bits (the
    // variant), as bits of the big-endian halves.
    const VERSION: u64 = 0xf << 12;
    const VARIANT: u64 = 0b11 << 62;
    let bytes = id.0.as_bytes();
    let mut half = [0u8; 8];
    half.copy_from_slice(&bytes[..8]);
    let hi = u64::from_be_bytes(half);
    half.copy_from_slice(&bytes[8..]);
    let lo = u64::from_be_bytes(half);
    let shaped = hi & VERSION == 4 << 12 && lo & VARIANT == 0b10 << 62;
    (0..16u64)
        .filter(move |_| shaped)
        .filter_map(move |nibble| {
            let hi = (hi & !VERSION) | (nibble << 12);
            let state = unsplitmix64(hi);
            let lo_then = splitmix64(hi ^ state);
            ((lo_then & !VARIANT) == (lo & !VARIANT)).then_some(state)
        })
}

/// The inverse of `x * c` modulo 2^64 for odd `c` (Newton's iteration).
const fn inverse(c: u64) -> u64 {
    let mut x = c;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// The inverse of `z ^ (z >> shift)`.
fn unxorshift(z: u64, shift: u32) -> u64 {
    let mut x = z;
    for _ in 0..64 / shift {
        x = z ^ (x >> shift);
    }
    x
}

/// The inverse of [`splitmix64`].
fn unsplitmix64(z: u64) -> u64 {
    let z = unxorshift(z, 31).wrapping_mul(inverse(0x94D0_49BB_1331_11EB));
    let z = unxorshift(z, 27).wrapping_mul(inverse(0xBF58_476D_1CE4_E5B9));
    unxorshift(z, 30).wrapping_sub(0x9E37_79B9_7F4A_7C15)
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a: small, and the same in every build (std's hasher is not
/// promised to be).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_inverts() {
        for x in [0, 1, 42, u64::MAX, 0x9E37_79B9_7F4A_7C15, 1 << 63] {
            assert_eq!(unsplitmix64(splitmix64(x)), x);
        }
    }

    #[test]
    fn a_seeded_source_knows_which_ids_it_gives_later() {
        for seed in [0, 7, u64::MAX - 2, 1 << 63] {
            let mut ids = IdSource::seeded(seed);
            let past: Vec<OperationId> = (0..5).map(|_| ids.next_id()).collect();
            let future: Vec<OperationId> = {
                let mut ahead = ids.clone();
                (0..5).map(|_| ahead.next_id()).collect()
            };
            assert!(past.iter().all(|id| !ids.gives_later(*id)), "seed {seed}");
            assert!(future.iter().all(|id| ids.gives_later(*id)), "seed {seed}");
            assert!(!IdSource::Random.gives_later(future[0]));
            let stranger = OperationId(Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef));
            assert!(!ids.gives_later(stranger));
        }
    }
}
