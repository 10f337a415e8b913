"""Python tooling for the leverage staking protocol: deployment, model and client."""
