//! --benchmark_filter as Google Benchmark reads it: a regular expression
//! searched for anywhere in a row's full name (with its /real_time suffix),
//! a leading '-' negating it, "" and "all" matching every row. The regular
//! expression is POSIX extended (libc's regcomp, Google Benchmark's own
//! fallback when it is built without std::regex). Not thread-safe: one owner.

use std::ffi::CString;

pub struct Filter {
    regex: Option<Box<libc::regex_t>>,
    negate: bool,
}

impl Filter {
    pub fn new(spec: &str) -> Result<Filter, String> {
        let (negate, pattern) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        if pattern.is_empty() || pattern == "all" {
            return Ok(Filter { regex: None, negate });
        }
        let text = CString::new(pattern)
            .map_err(|_| format!("--benchmark_filter: '{}' holds a NUL byte", spec))?;
        // SAFETY: regex_t is plain data that regcomp initialises; it stays
        // boxed (not moved) until regfree in drop.
        unsafe {
            let mut regex: Box<libc::regex_t> = Box::new(std::mem::zeroed());
            let rc =
                libc::regcomp(&mut *regex, text.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB);
            if rc != 0 {
                let mut message = [0 as libc::c_char; 256];
                libc::regerror(rc, &*regex, message.as_mut_ptr(), message.len());
                let why = std::ffi::CStr::from_ptr(message.as_ptr()).to_string_lossy().into_owned();
                return Err(format!(
                    "--benchmark_filter: '{}' is not a regular expression: {}",
                    spec, why
                ));
            }
            Ok(Filter { regex: Some(regex), negate })
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        let found = match &self.regex {
            None => true,
            Some(regex) => match CString::new(name) {
                // SAFETY: regex was compiled by regcomp; name is NUL-terminated.
                Ok(text) => unsafe {
                    libc::regexec(&**regex, text.as_ptr(), 0, std::ptr::null_mut(), 0) == 0
                },
                Err(_) => false,
            },
        };
        found != self.negate
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        if let Some(regex) = &mut self.regex {
            // SAFETY: compiled by regcomp, freed once.
            unsafe { libc::regfree(&mut **regex) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn searches_negates_and_matches_all() {
        let f = Filter::new("fib|uts/").unwrap();
        assert!(f.matches("fib/rayon/workers:1/n:30/real_time"));
        assert!(f.matches("uts/rayon/workers:1/tree:t3/real_time"));
        assert!(!f.matches("empty/rayon/workers:1/jobs:1000000/real_time"));
        let not = Filter::new("-workers:1/").unwrap();
        assert!(!not.matches("fib/rayon/workers:1/n:30/real_time"));
        assert!(not.matches("fib/rayon/workers:2/n:30/real_time"));
        assert!(Filter::new("").unwrap().matches("x"));
        assert!(Filter::new("all").unwrap().matches("x"));
        assert!(Filter::new("(").is_err());
    }
}
