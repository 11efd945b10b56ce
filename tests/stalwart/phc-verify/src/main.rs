//! phc-verify PHC-STRING < password
//!
//! Verifies the password read from standard input (one line, without its
//! newline) against a `$pbkdf2-sha256$...` PHC string with RustCrypto's
//! `pbkdf2` crate. Exit 0: match, 1: mismatch, 2: the string does not parse
//! as a PBKDF2 PHC hash.

use password_hash::{PasswordHash, PasswordVerifier};
use pbkdf2::Pbkdf2;
use std::io::Read;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: phc-verify PHC-STRING < password");
        exit(2);
    }
    let mut password = Vec::new();
    if std::io::stdin().read_to_end(&mut password).is_err() {
        eprintln!("phc-verify: cannot read the password");
        exit(2);
    }
    if password.last() == Some(&b'\n') {
        password.pop();
    }
    let hash = match PasswordHash::new(&args[1]) {
        Ok(hash) => hash,
        Err(err) => {
            eprintln!("phc-verify: not a PHC string: {}", err);
            exit(2);
        }
    };
    match Pbkdf2.verify_password(&password, &hash) {
        Ok(()) => println!("match"),
        Err(password_hash::Error::Password) => {
            println!("mismatch");
            exit(1);
        }
        Err(err) => {
            eprintln!("phc-verify: {}", err);
            exit(2);
        }
    }
}
