"""Memory: recognise the incoming pattern (familiar -> inhibition), report and store the novel."""
