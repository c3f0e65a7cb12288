//! entente: a seeded agent-based model of states, their weighted ties on several channels, dated
//! events and rules drawn from the literature, for asking "what if" of international politics.
//!
//! The pipeline is `scenario` (TOML in, validated [`Scenario`] out) → `model` (compiled
//! [`Model`], one reproducible run per seed and run index) → `outcome` (measures read from a
//! run) → `report` (text, JSON and CSV out). See ARCHITECTURE.md.

#![warn(missing_docs)]

pub mod api;
pub mod batch;
pub mod cli;
pub mod design;
pub mod discovery;
pub mod exploration;
pub mod files;
pub mod model;
pub mod outcome;
pub mod param;
pub mod partial;
pub mod report;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod sketch;
pub mod special;
pub mod stats;
pub mod summary;
pub mod time;

pub use api::{Outcomes, RunTable, Settings};
pub use model::{Model, RunResult, Simulation};
pub use outcome::{OutcomeValue, Trace};
pub use scenario::{Overrides, Scenario, ScenarioError};
