"""tinynn.nn"""
