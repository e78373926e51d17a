//! Correlation: everything known about one entity ([`pivot`]), and statistical correlation of
//! per-interval activity between sources and hosts ([`series`]).

pub mod pivot;
pub mod series;
