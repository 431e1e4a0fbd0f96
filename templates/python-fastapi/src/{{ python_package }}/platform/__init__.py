"""What every module shares: HTTP plumbing, logs and the clients of the dependencies."""
