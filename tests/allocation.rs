//! The step loop must not allocate once a simulation is warm: a counting global allocator
//! checks that resetting and stepping a run performs no heap allocation at all.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use entente::model::{Model, Simulation};
use entente::scenario::Scenario;

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(pointer, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn reset_and_steps_do_not_allocate_once_warm() {
    let scenario = Scenario::load(Path::new("scenarios/minimal.toml")).unwrap();
    let model = Model::new(scenario);
    let months = model.months() as u32;
    let mut simulation = Simulation::new(&model);
    // Warm up: the first run sizes the parameter vector.
    simulation.reset(1, 0);
    for month in 0..months {
        simulation.step(month);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for run in 1..20 {
        simulation.reset(1, run);
        for month in 0..months {
            simulation.step(month);
        }
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(allocations, 0, "19 runs allocated {allocations} times");
}
