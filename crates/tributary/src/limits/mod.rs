//! The rate-limit middleware (issue 18): every request takes a token from its bucket before
//! any other work, and every answer says how many are left (`RateLimit-Limit`,
//! `RateLimit-Remaining`, `RateLimit-Reset`, draft-ietf-httpapi-ratelimit-headers); an empty
//! bucket answers 429 with `Retry-After`. The buckets live in `state::limits`.

mod keys;
mod middleware;

pub use middleware::enforce;
