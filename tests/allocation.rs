//! The step loop must not allocate once a simulation is warm: a counting global allocator
//! checks that resetting and stepping a run performs no heap allocation at all. Only the test's
//! own thread is counted: the test harness's threads allocate when they please.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use entente::model::{LANES, Model, Simulation};
use entente::scenario::Scenario;

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether allocations on this thread are counted (const-initialised: reading it does not
    /// allocate).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count();
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
    let mut outcomes = Vec::with_capacity(LANES * model.scenario().outcomes().len());
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTED.with(|counted| counted.set(true));
    for run in 1..20 {
        simulation.reset(1, run);
        for month in 0..months {
            simulation.step(month);
        }
    }
    // The batch path too: a whole run into a reused outcome buffer, observing every month.
    let mut observed = 0.0;
    for first in (24..48).step_by(LANES) {
        simulation.run_group(1, first, &mut outcomes, |_, measures| {
            observed += measures[0].lane_sum()
        });
    }
    COUNTED.with(|counted| counted.set(false));
    assert!(observed > 0.0, "the observer saw the monthly measures");
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocations, 0,
        "22 groups of runs allocated {allocations} times"
    );
}
