//! Values by id, in reused slots under ids that are not (until a slot's 2^32nd use): the wasm
//! shell's tasks and the promises they await (`wasm/task.rs`), where a promise that settles
//! late must not reach whatever took its place.

/// Values by id. An id is a slot and that slot's generation, so a promise that settles after
/// its watcher was dropped finds nothing, never a newer watcher in the same slot.
pub(crate) struct Slab<T> {
    slots: Vec<(u32, Option<T>)>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    pub(crate) fn insert(&mut self, value: T) -> u64 {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push((0, None));
            (self.slots.len() - 1) as u32
        });
        let slot = &mut self.slots[index as usize];
        slot.0 = slot.0.wrapping_add(1);
        slot.1 = Some(value);
        (u64::from(slot.0) << 32) | u64::from(index)
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        match self.slots.get_mut(id as u32 as usize) {
            Some((generation, value)) if u64::from(*generation) == id >> 32 => value.as_mut(),
            _ => None,
        }
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let (generation, value) = self.slots.get_mut(id as u32 as usize)?;
        if u64::from(*generation) != id >> 32 {
            return None;
        }
        let value = value.take()?;
        self.free.push(id as u32);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn an_id_reaches_its_own_value_only() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_ne!(a, b);
        assert_eq!(slab.get_mut(a), Some(&mut "a"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None, "removed once");
        // The freed slot holds the next value under a new id: the old id finds nothing.
        let c = slab.insert("c");
        assert_eq!(c as u32, a as u32, "the slot is reused");
        assert_ne!(c, a);
        assert_eq!(slab.get_mut(a), None);
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.remove(c), Some("c"));
        assert_eq!(slab.remove(b), Some("b"));
        assert_eq!(slab.get_mut(u64::MAX), None, "an id never handed out");
    }
}
