"""What every load test shares: settings, profiles, SLO checks, the base user."""
