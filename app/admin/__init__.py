"""The owner's console (``/admin``): sign-in sessions, and pages over the feature services."""
