/** Runnable example programs. */
package org.tiaoyu.qformer.examples;
