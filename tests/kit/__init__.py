"""What the unit and engine tests share: the project and fixtures, fakes, and the engine tests' stack."""
