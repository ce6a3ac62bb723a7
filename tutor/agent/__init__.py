"""The teacher agent: classify a learner turn, answer from the course, guard the reply."""
