"""Group buy (拼团): groups that must fill within a time limit, refunded in full when they fail."""
