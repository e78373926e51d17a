//! A case into the stacks teams already run: the events (or the findings) as an Elasticsearch /
//! OpenSearch `_bulk` body in the Elastic Common Schema ([`ecs`]). The mapping of columns to ECS
//! names is data: `queries/ecs_mapping.toml`.

pub mod ecs;
