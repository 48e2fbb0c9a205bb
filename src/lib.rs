//! golive: a Slack bot that runs a software release launch from a plan.
