//! The keys a caller presses.

use std::fmt;

/// A DTMF tone, as Graph's `tone` enum names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tone {
    /// `0`
    Tone0,
    /// `1`
    Tone1,
    /// `2`
    Tone2,
    /// `3`
    Tone3,
    /// `4`
    Tone4,
    /// `5`
    Tone5,
    /// `6`
    Tone6,
    /// `7`
    Tone7,
    /// `8`
    Tone8,
    /// `9`
    Tone9,
    /// `*`
    Star,
    /// `#`
    Pound,
    /// `A`
    A,
    /// `B`
    B,
    /// `C`
    C,
    /// `D`
    D,
    /// Hook flash.
    Flash,
}

impl Tone {
    /// Every tone, in Graph's declared order.
    pub const ALL: [Self; 17] = [
        Self::Tone0,
        Self::Tone1,
        Self::Tone2,
        Self::Tone3,
        Self::Tone4,
        Self::Tone5,
        Self::Tone6,
        Self::Tone7,
        Self::Tone8,
        Self::Tone9,
        Self::Star,
        Self::Pound,
        Self::A,
        Self::B,
        Self::C,
        Self::D,
        Self::Flash,
    ];

    /// Parses a key (`0-9 * # A-D`, any case) or a Graph enum name (`tone5`,
    /// `pound`, `star`, `flash`, any case).
    pub fn parse(text: &str) -> Option<Self> {
        if let [key] = text.as_bytes() {
            return match key.to_ascii_uppercase() {
                b @ b'0'..=b'9' => Some(Self::ALL[usize::from(b - b'0')]),
                b'*' => Some(Self::Star),
                b'#' => Some(Self::Pound),
                b'A' => Some(Self::A),
                b'B' => Some(Self::B),
                b'C' => Some(Self::C),
                b'D' => Some(Self::D),
                _ => None,
            };
        }
        Self::ALL
            .into_iter()
            .find(|tone| tone.as_str().eq_ignore_ascii_case(text))
    }

    /// The key on the keypad (`0-9 * # A-D`; `F` for a hook flash).
    pub const fn key(self) -> char {
        match self {
            Self::Tone0 => '0',
            Self::Tone1 => '1',
            Self::Tone2 => '2',
            Self::Tone3 => '3',
            Self::Tone4 => '4',
            Self::Tone5 => '5',
            Self::Tone6 => '6',
            Self::Tone7 => '7',
            Self::Tone8 => '8',
            Self::Tone9 => '9',
            Self::Star => '*',
            Self::Pound => '#',
            Self::A => 'A',
            Self::B => 'B',
            Self::C => 'C',
            Self::D => 'D',
            Self::Flash => 'F',
        }
    }

    /// The Graph enum name (`tone5`, `pound`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tone0 => "tone0",
            Self::Tone1 => "tone1",
            Self::Tone2 => "tone2",
            Self::Tone3 => "tone3",
            Self::Tone4 => "tone4",
            Self::Tone5 => "tone5",
            Self::Tone6 => "tone6",
            Self::Tone7 => "tone7",
            Self::Tone8 => "tone8",
            Self::Tone9 => "tone9",
            Self::Star => "star",
            Self::Pound => "pound",
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
            Self::D => "d",
            Self::Flash => "flash",
        }
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of tones (a record's `stopTones`), stored as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ToneSet(u32);

impl ToneSet {
    /// No tones.
    pub const EMPTY: Self = Self(0);

    /// Adds a tone.
    pub fn insert(&mut self, tone: Tone) {
        self.0 |= tone.bit();
    }

    /// Whether the tone is in the set.
    pub const fn contains(self, tone: Tone) -> bool {
        self.0 & tone.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The tones, in Graph's order.
    pub fn iter(self) -> impl Iterator<Item = Tone> {
        Tone::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl FromIterator<Tone> for ToneSet {
    fn from_iter<I: IntoIterator<Item = Tone>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        iter.into_iter().for_each(|t| set.insert(t));
        set
    }
}

impl fmt::Debug for ToneSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
