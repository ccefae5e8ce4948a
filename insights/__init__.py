"""Insights: the loop's health read across every app (tickets, initiatives, sessions, emails).

It sits above the apps it reads and is read by none of them."""
