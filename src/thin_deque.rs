//! A `VecDeque` that holds one pointer inline, and nothing on the heap until
//! it is first given something.
//!
//! A call keeps three deques: its media queue, its pending outputs and its
//! `GET` memory. Most of a million calls are idle most of the time, with all
//! three empty, and an empty `VecDeque` inline costs 32 bytes (issue 12: an
//! idle call within 256 bytes). Boxed, an empty one costs 8; a deque in use
//! costs its 32 bytes once more, on the heap, where a busy call has room.

use std::collections::VecDeque;

/// A boxed `VecDeque`, allocated on first use; see the module docs.
#[derive(Clone, Debug)]
#[expect(
    clippy::box_collection,
    reason = "8 bytes inline for an empty deque, not 32"
)]
pub(crate) struct ThinDeque<T>(Option<Box<VecDeque<T>>>);

impl<T> Default for ThinDeque<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ThinDeque<T> {
    /// An empty deque, holding nothing on the heap.
    pub(crate) const fn new() -> Self {
        Self(None)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |deque| deque.len())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |deque| deque.capacity())
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.0.iter().flat_map(|deque| deque.iter())
    }

    /// The deque itself, allocated now if it was not.
    #[inline]
    pub(crate) fn deque(&mut self) -> &mut VecDeque<T> {
        self.0.get_or_insert_with(allocate)
    }

    #[inline]
    pub(crate) fn push_back(&mut self, value: T) {
        self.deque().push_back(value);
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        self.0.as_mut()?.pop_front()
    }

    /// Room for `additional` more; a deque not yet allocated stays so for 0.
    pub(crate) fn reserve(&mut self, additional: usize) {
        if additional > 0 {
            self.deque().reserve(additional);
        }
    }

    /// The deque, if it was ever allocated (a hot loop works on it
    /// directly, with no check per element).
    pub(crate) fn get_mut(&mut self) -> Option<&mut VecDeque<T>> {
        self.0.as_deref_mut()
    }

    /// Keeps at most `capacity` of room; the box goes too when that leaves
    /// no room at all (an empty deque shrunk to 0).
    pub(crate) fn shrink_to(&mut self, capacity: usize) {
        if let Some(deque) = &mut self.0 {
            // Checked first: the engine asks after every input, and mostly
            // there is nothing to give back.
            if deque.capacity() > capacity {
                deque.shrink_to(capacity);
            }
            if deque.capacity() == 0 {
                self.0 = None;
            }
        }
    }

    /// Forgets everything, and gives the room back, the box included.
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    /// Gives back all the room, the box included, once empty.
    pub(crate) fn free_if_empty(&mut self) {
        if self.is_empty() {
            self.0 = None;
        }
    }
}

/// Out of line and cold: the hot paths that push (a cancel ending a queue)
/// stay as small as with a plain `VecDeque`, so LLVM still inlines them.
#[cold]
#[inline(never)]
#[expect(clippy::box_collection, reason = "the box is the point: see the type")]
fn allocate<T>() -> Box<VecDeque<T>> {
    Box::default()
}

impl<T> From<Vec<T>> for ThinDeque<T> {
    fn from(values: Vec<T>) -> Self {
        Self((!values.is_empty()).then(|| Box::new(values.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_deque_holds_nothing_on_the_heap_and_one_pointer_inline() {
        let mut deque = ThinDeque::<u64>::new();
        assert_eq!(size_of::<ThinDeque<u64>>(), size_of::<usize>());
        deque.reserve(0);
        assert_eq!(deque.capacity(), 0, "reserving nothing allocates nothing");
        assert_eq!(deque.pop_front(), None);
        assert!(deque.get_mut().is_none());
        deque.push_back(1);
        deque.free_if_empty();
        assert_eq!(deque.len(), 1, "a deque in use is never freed");
        assert_eq!(deque.pop_front(), Some(1));
        deque.free_if_empty();
        assert!(deque.0.is_none());
    }

    #[test]
    fn an_emptied_deque_keeps_its_room_until_shrunk() {
        let mut deque = ThinDeque::from(vec![1, 2, 3]);
        deque.reserve(10);
        let room = deque.capacity();
        let drained: Vec<_> = deque
            .get_mut()
            .into_iter()
            .flat_map(|d| d.drain(..))
            .collect();
        assert_eq!(drained, [1, 2, 3]);
        assert!(deque.is_empty());
        assert_eq!(deque.capacity(), room);
        deque.free_if_empty();
        assert!(deque.0.is_none());
        let mut deque = ThinDeque::from(vec![1]);
        deque.shrink_to(0);
        assert_eq!(deque.len(), 1, "shrinking keeps what it holds");
        deque.pop_front();
        deque.shrink_to(0);
        assert!(deque.0.is_none(), "no room left: no box either");
    }
}
