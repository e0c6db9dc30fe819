"""HTTP only: views parse input, call one service, render a page or fragment."""
