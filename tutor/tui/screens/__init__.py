"""Full-screen and modal views of the learner app (and the help screen both apps share)."""
