def page(out, root): return ""
